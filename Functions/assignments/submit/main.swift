import Assignments
import Runtime

Function.run(SubmitAssignment.endpoint)
