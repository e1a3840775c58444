import Identity
import Runtime

Function.run(ListDevices.endpoint)
