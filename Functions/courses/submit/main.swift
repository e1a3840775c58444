import Courses
import Runtime

Function.run(SubmitCourse.endpoint)
