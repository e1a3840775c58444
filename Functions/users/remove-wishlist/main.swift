import Courses
import Runtime

Function.run(RemoveFromWishlist.handle)
