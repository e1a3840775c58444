import Identity
import Runtime

Function.run(RequestPasswordReset.endpoint)
