import Courses
import Runtime

Function.run(CreateModule.endpoint)
