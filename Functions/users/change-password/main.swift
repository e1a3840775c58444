import Identity
import Runtime

Function.run(ChangePassword.handle)
