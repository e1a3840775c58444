import Identity
import Runtime

Function.run(Logout.endpoint)
