import Courses
import Runtime

Function.run(ListCoursesForReview.endpoint)
