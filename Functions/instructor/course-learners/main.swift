import Learning
import Runtime

Function.run(ListCourseLearners.endpoint)
