import Courses
import Runtime

Function.run(DeleteModule.endpoint)
