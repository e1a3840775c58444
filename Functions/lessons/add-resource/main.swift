import Courses
import Runtime

Function.run(AddLessonResource.endpoint)
