"""What a search shows the page: candidates with their lines, the policy, ownership and score.

Built from the player's Decision (play/player.py), the same search GTP's lz-/kata-analyze report.
The page and the SGF read one convention, Black's view: `winrate` is Black's win probability and
`score_lead` Black's expected margin, whoever is to move; a candidate's own fields stay for the
player to move, as Lizzie and KataGo show them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...go import GoState
from ...go.coords import to_gtp
from ..player import Decision, SearchPlayer

TOP_CANDIDATES = 10   # the page draws at most this many on the board
FIRST_STEP = 4        # the first report comes after 1/FIRST_STEP of the search
MIN_STEPPED = 32      # below this many simulations one report is enough


def search_steps(sims: int, seconds: float | None) -> list[tuple[int, float | None]]:
    """(simulations, seconds) of each search behind a move or an analysis: an early, smaller one
    for the page to show while the engine thinks, then the full one (a fresh search, as the GTP
    analysis does: the tree is sized by its simulation count). By time, the two share the budget."""
    if seconds is not None:
        return [(sims, seconds / FIRST_STEP), (sims, seconds * (FIRST_STEP - 1) / FIRST_STEP)]
    if sims < MIN_STEPPED:
        return [(sims, None)]
    return [(sims // FIRST_STEP, None), (sims, None)]


@dataclass(frozen=True)
class Evaluation:
    """The search's view of one position, from Black's side (the graph's and the SGF's convention)."""
    winrate: float              # Black's win probability
    score_lead: float | None    # Black's expected final margin (score head), None without one
    visits: int
    best: tuple[int, ...]       # the principal variation (actions), best move first

    def as_json(self, position: int, n: int) -> dict:
        return {"position": position, "winrate": round(self.winrate, 4),
                "scoreLead": None if self.score_lead is None else round(self.score_lead, 2),
                "visits": self.visits, "best": [to_gtp(a, n) for a in self.best]}

    def comment(self, n: int) -> str:
        """The SGF comment of the position's node."""
        lead = "" if self.score_lead is None else f", Black's score lead {self.score_lead:+.1f}"
        line = " ".join(to_gtp(a, n) for a in self.best)
        return f"Black win rate {self.winrate:.1%}{lead} ({self.visits} visits); best line: {line}"


@dataclass(frozen=True)
class Candidate:
    action: int
    visits: int
    winrate: float               # for the player to move
    prior: float
    pv: tuple[int, ...]
    score_lead: float | None     # for the player to move


@dataclass(frozen=True)
class Analysis:
    """One report of a search of the position after `position` moves."""
    position: int
    to_play: int                       # 1 black, -1 white
    visits: int
    candidates: list[Candidate]        # by visits, most first, at most TOP_CANDIDATES
    policy: np.ndarray                 # float32[N*N + 1] the net's prior (action order, pass last)
    ownership: np.ndarray | None       # float32[N*N] Black's expected ownership in [-1, 1], or None
    evaluation: Evaluation
    final: bool                        # the search's last report

    def as_json(self, n: int) -> dict:
        return {"type": "analysis", "position": self.position, "toPlay": "black" if self.to_play == 1 else "white",
                "visits": self.visits, "final": self.final,
                "candidates": [{"move": to_gtp(c.action, n), "visits": c.visits, "winrate": round(c.winrate, 4),
                                "prior": round(c.prior, 4), "pv": [to_gtp(a, n) for a in c.pv],
                                "scoreLead": None if c.score_lead is None else round(c.score_lead, 2)}
                               for c in self.candidates],
                "policy": {to_gtp(a, n): round(float(p), 4) for a, p in enumerate(self.policy[: n * n]) if p >= 1e-3},
                "passPolicy": round(float(self.policy[n * n]), 4),
                "ownership": None if self.ownership is None else [round(float(x), 3) for x in self.ownership],
                "evaluation": self.evaluation.as_json(self.position, n)}


def analysis_of(player: SearchPlayer, state: GoState, d: Decision, position: int, final: bool) -> Analysis:
    """The report of decision `d` in `state`: its candidates, plus the net's ownership and score
    leads when it has those heads (one extra evaluation each)."""
    top = d.candidates[:TOP_CANDIDATES]
    leads = player.score_leads(state, [c.action for c in top])
    cands = [Candidate(c.action, c.visits, c.winrate, c.prior, tuple(c.pv or [c.action]),
                       None if leads is None else float(leads[i])) for i, c in enumerate(top)]
    own = player.ownership(state)
    side = state.to_play  # the heads and the search speak for the player to move
    black_win = d.winrate if side == 1 else 1.0 - d.winrate
    lead = None if leads is None or not cands else cands[0].score_lead * side
    best = cands[0].pv if cands else ()
    visits = int(d.result.visits[0].sum())
    return Analysis(position, side, visits, cands, d.result.prior[0].astype(np.float32),
                    None if own is None else (own * side).astype(np.float32),
                    Evaluation(float(black_win), lead, visits, best), final)
