import Identity
import Runtime

Function.run(GetMe.endpoint)
