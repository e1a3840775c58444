import Identity
import Runtime

Function.run(RegisterDevice.endpoint)
