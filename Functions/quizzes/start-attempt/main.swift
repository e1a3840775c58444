import Quizzes
import Runtime

Function.run(StartQuizAttempt.endpoint)
