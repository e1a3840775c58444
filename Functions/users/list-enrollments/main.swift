import Courses
import Runtime

Function.run(ListEnrollments.handle)
