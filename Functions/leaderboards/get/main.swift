import Leaderboards
import Runtime

Function.run(GetLeaderboard.endpoint)
