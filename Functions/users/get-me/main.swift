import Identity
import Runtime

Function.run(GetMe.handle)
