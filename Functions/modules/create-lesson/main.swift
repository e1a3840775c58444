import Courses
import Runtime

Function.run(CreateLesson.endpoint)
