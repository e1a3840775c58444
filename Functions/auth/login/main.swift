import Identity
import Runtime

Function.run(Login.endpoint)
