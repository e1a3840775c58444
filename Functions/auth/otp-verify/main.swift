import Identity
import Runtime

Function.run(VerifyEmail.endpoint)
