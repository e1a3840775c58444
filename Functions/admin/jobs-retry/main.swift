import Jobs
import Runtime

Function.run(RetryJob.handle)
