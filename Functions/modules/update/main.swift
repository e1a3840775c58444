import Courses
import Runtime

Function.run(UpdateModule.endpoint)
