import Assignments
import Runtime

Function.run(ListSubmissions.endpoint)
