import Courses
import Runtime

Function.run(CreateCourse.endpoint)
