import Leaderboards
import Runtime

Function.run(GetMyXP.endpoint)
