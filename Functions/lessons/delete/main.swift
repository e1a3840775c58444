import Courses
import Runtime

Function.run(DeleteLesson.handle)
