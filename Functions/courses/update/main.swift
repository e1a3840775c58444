import Courses
import Runtime

Function.run(UpdateCourse.endpoint)
