import Learning
import Runtime

Function.run(CompleteLesson.endpoint)
