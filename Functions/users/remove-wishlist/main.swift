import Courses
import Runtime

Function.run(RemoveFromWishlist.endpoint)
