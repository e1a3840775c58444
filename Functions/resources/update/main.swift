import Courses
import Runtime

Function.run(UpdateLessonResource.endpoint)
