import Identity
import Runtime

Function.run(DeleteDevice.endpoint)
