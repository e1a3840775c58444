import Courses
import Runtime

Function.run(EnrollInCourse.endpoint)
