import Assignments
import Runtime

Function.run(GetAssignment.endpoint)
