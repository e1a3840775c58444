import Jobs
import Runtime

Function.run(RetryJob.endpoint)
