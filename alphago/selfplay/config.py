"""Self-play settings: typed, frozen, validated; torch-free so that configs load without torch."""
from __future__ import annotations

from dataclasses import dataclass

# the moves the search is offered (goenv.GoEnv): "settled" go/settled.py's mask (no own-eye fills,
# pass only when nothing else is left); "any" every legal move incl. pass
PASS_RULES = ("any", "settled")


@dataclass(frozen=True)
class SelfPlayConfig:
    batch_games: int = 32              # games searched together (evaluator batch size)
    temperature_moves: int = 8         # moves played at temperature 1 (AlphaGo Zero: 30 on 19x19), then ~0
    resign_threshold: float = -0.95    # resign when the search value falls below this (AlphaGo Zero: auto-tuned)
    resign_disabled_frac: float = 0.2  # fraction of games that never resign (AlphaGo Zero: 10%)
    eval_cache: int = 0                # entries of the evaluation cache (KataGo's NN cache); 0 = off
    # "settled" (go/settled.py): no own-eye fills, pass only when every other move is a
    # self-atari, so games are played out and Tromp-Taylor counts a settled board; "any":
    # every legal move (lets untrained nets pass on half-empty boards: pass collapse)
    pass_rule: str = "settled"
    # value seen by the search = (1 - u) v + u tanh(lead / N) with the score head's lead (net/evaluator.py;
    # KataGo's score utility, bounded); needs net.score_head. 0 = value head only
    score_utility: float = 0.0
    # KataGo-style komi randomisation: each game's komi = rules.komi + an integer drawn uniformly
    # from [-komi_spread, komi_spread] (the half-point part of rules.komi is kept), so that a net
    # with features.komi learns what komi is worth; 0 = every game at rules.komi
    komi_spread: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.batch_games, int) or self.batch_games < 1:
            raise ValueError(f"selfplay.batch_games must be an integer >= 1, got {self.batch_games!r}")
        if self.temperature_moves < 0:
            raise ValueError(f"selfplay.temperature_moves must be >= 0, got {self.temperature_moves!r}")
        if not -1.0 <= self.resign_threshold <= 1.0:
            raise ValueError(f"selfplay.resign_threshold must be in [-1, 1] (-1 disables), got {self.resign_threshold!r}")
        if not isinstance(self.eval_cache, int) or self.eval_cache < 0:
            raise ValueError(f"selfplay.eval_cache must be an integer >= 0, got {self.eval_cache!r}")
        if self.pass_rule not in PASS_RULES:
            raise ValueError(f"selfplay.pass_rule must be one of {PASS_RULES}, got {self.pass_rule!r}")
        if not 0.0 <= self.score_utility <= 1.0:
            raise ValueError(f"selfplay.score_utility must be in [0, 1], got {self.score_utility!r}")
        if not isinstance(self.komi_spread, int) or isinstance(self.komi_spread, bool) or self.komi_spread < 0:
            raise ValueError(f"selfplay.komi_spread must be an integer >= 0, got {self.komi_spread!r}")
        if not 0.0 <= self.resign_disabled_frac <= 1.0:
            raise ValueError(f"selfplay.resign_disabled_frac must be in [0, 1], got {self.resign_disabled_frac!r}")
