import Payments
import Runtime

Function.run(InstructorEarnings.endpoint)
