import Quizzes
import Runtime

Function.run(ListQuizAttempts.endpoint)
