import Quizzes
import Runtime

Function.run(SaveQuizAnswers.endpoint)
