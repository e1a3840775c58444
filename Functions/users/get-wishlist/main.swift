import Courses
import Runtime

Function.run(ListWishlist.endpoint)
