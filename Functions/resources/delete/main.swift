import Courses
import Runtime

Function.run(DeleteLessonResource.endpoint)
