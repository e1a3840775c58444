import Identity
import Runtime

Function.run(Health.endpoint)
