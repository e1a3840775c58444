import Assignments
import Runtime

Function.run(GradeSubmission.endpoint)
