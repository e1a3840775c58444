import Learning
import Runtime

Function.run(GetCourseProgress.endpoint)
