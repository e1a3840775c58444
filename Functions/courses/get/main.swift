import Courses
import Runtime

Function.run(GetCourse.handle)
