import Identity
import Runtime

Function.run(UpdateMe.endpoint)
