import Courses
import Runtime

Function.run(DeleteModule.handle)
