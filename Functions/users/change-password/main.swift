import Identity
import Runtime

Function.run(ChangePassword.endpoint)
