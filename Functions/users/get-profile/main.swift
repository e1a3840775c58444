import Identity
import Runtime

Function.run(GetProfile.endpoint)
