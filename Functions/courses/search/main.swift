import Courses
import Runtime

Function.run(SearchCourses.endpoint)
