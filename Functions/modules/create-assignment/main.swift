import Assignments
import Runtime

Function.run(CreateAssignment.endpoint)
