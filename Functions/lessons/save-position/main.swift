import Learning
import Runtime

Function.run(SaveLessonPosition.endpoint)
