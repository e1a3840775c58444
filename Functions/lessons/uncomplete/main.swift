import Learning
import Runtime

Function.run(UncompleteLesson.endpoint)
