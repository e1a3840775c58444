import Identity
import Runtime

Function.run(Refresh.handle)
