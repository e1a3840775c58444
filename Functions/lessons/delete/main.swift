import Courses
import Runtime

Function.run(DeleteLesson.endpoint)
