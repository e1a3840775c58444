import Quizzes
import Runtime

Function.run(SubmitQuizAttempt.endpoint)
