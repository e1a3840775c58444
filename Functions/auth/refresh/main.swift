import Identity
import Runtime

Function.run(Refresh.endpoint)
