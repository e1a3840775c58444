import Identity
import Runtime

Function.run(DeleteMe.endpoint)
