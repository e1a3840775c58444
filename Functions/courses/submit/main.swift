import Courses
import Runtime

Function.run(SubmitCourse.handle)
