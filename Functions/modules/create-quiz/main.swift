import Quizzes
import Runtime

Function.run(CreateQuiz.endpoint)
