import Jobs
import Runtime

Function.run(ListJobs.handle)
