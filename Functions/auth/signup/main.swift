import Identity
import Runtime

Function.run(Signup.endpoint)
