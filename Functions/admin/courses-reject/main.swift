import Courses
import Runtime

Function.run(RejectCourse.endpoint)
