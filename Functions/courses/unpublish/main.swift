import Courses
import Runtime

Function.run(UnpublishCourse.endpoint)
