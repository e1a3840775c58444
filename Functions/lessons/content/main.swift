import Courses
import Runtime

Function.run(GetLessonContent.endpoint)
