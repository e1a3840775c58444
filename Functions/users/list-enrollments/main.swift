import Courses
import Runtime

Function.run(ListEnrollments.endpoint)
