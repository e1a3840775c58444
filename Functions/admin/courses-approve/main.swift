import Courses
import Runtime

Function.run(ApproveCourse.endpoint)
