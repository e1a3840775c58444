import Quizzes
import Runtime

Function.run(DeleteQuiz.endpoint)
