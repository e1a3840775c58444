import Courses
import Runtime

Function.run(ListCoursesForReview.handle)
