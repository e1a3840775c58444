import Identity
import Runtime

Function.run(ResendVerification.endpoint)
