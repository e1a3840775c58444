import Payments
import Runtime

Function.run(GetCourseEnrollment.endpoint)
