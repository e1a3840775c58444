import Leaderboards
import Runtime

Function.run(ListMyBadges.endpoint)
