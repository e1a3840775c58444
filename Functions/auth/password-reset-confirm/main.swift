import Identity
import Runtime

Function.run(ConfirmPasswordReset.endpoint)
