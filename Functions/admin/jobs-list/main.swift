import Jobs
import Runtime

Function.run(ListJobs.endpoint)
