import Courses
import Runtime

Function.run(ListInstructorCourses.endpoint)
