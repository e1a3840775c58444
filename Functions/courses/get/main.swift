import Courses
import Runtime

Function.run(GetCourse.endpoint)
