import Quizzes
import Runtime

Function.run(GetQuizStats.endpoint)
