import Courses
import Runtime

Function.run(ApproveCourse.handle)
