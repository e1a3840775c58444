import Courses
import Runtime

Function.run(AddToWishlist.endpoint)
