import Courses
import Runtime

Function.run(ListCategories.endpoint)
