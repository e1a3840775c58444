import Quizzes
import Runtime

Function.run(UpdateQuiz.endpoint)
