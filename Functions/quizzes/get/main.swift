import Quizzes
import Runtime

Function.run(GetQuiz.endpoint)
