import Courses
import Runtime

Function.run(UpdateLesson.endpoint)
