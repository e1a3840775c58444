import Identity
import Runtime

Function.run(DeleteMe.handle)
