import Courses
import Runtime

Function.run(DeleteCourse.endpoint)
