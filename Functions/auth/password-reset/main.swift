import Identity
import Runtime

Function.run(RequestPasswordReset.handle)
