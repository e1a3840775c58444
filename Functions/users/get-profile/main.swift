import Identity
import Runtime

Function.run(GetProfile.handle)
