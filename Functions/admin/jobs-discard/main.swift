import Jobs
import Runtime

Function.run(DiscardJob.endpoint)
