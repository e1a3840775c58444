import Learning
import Runtime

Function.run(ResetCourseProgress.endpoint)
