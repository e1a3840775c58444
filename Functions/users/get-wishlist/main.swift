import Courses
import Runtime

Function.run(ListWishlist.handle)
