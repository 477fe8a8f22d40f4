"""Maximum-likelihood Elo ratings from game results (Bradley-Terry with the Elo scale).

Model: player i scores against player j with probability

    E_ij = 1 / (1 + 10 ** (-(r_i - r_j) / 400)) = sigmoid((r_i - r_j) / S),   S = 400 / ln 10 = 173.72

and a draw counts as half a win for each side (the usual "points" convention, so the
likelihood of a match with W_ij points in N_ij games is prod E_ij^W_ij (1 - E_ij)^(N_ij - W_ij)).
One player, the anchor, is fixed at 0; the others are found by Newton's method on the
log-likelihood (concave, so Newton with step halving converges from 0).

Uncertainty: the 95% confidence interval is a Wald interval, rating +- 1.96 standard errors,
with the covariance the inverse of the observed Fisher information (minus the Hessian of the
log-likelihood, anchor row and column removed) at the estimate. For this logistic model the
observed and the expected information coincide. For two players the standard error is
S / sqrt(N p (1 - p)), the delta-method error of 400 log10(p / (1 - p)). Intervals are relative
to the anchor; `diff(a, b)` gives the interval of a difference using the full covariance.

Perfect scores: when somebody won (or lost) every game, or more generally when the players
cannot be split in two groups that each scored against the other, the maximum-likelihood
ratings are infinite. Then (virtual_draws="auto") we do what BayesElo does: add 2 virtual
draws between every pair of players that met (1 point out of 2 games each way), which pulls
the estimates to finite values (10-0 becomes 11/12 -> +416 Elo) and keeps the intervals
finite; the fit says so (`regularized`). For two players `match_elo` also reports the exact
one-sided 95% Clopper-Pearson bound in that case (10-0 -> a score of at least 0.741, +183 Elo).
With scores strictly between 0 and 1 nothing is added: the estimate is the plain MLE
(75 points out of 100 -> +190.8 Elo).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

SCALE = 400.0 / math.log(10.0)  # Elo per natural-log odds unit, 173.72
Z95 = 1.959963984540054         # two-sided 95% normal quantile
BAYESELO_VIRTUAL_DRAWS = 2.0    # BayesElo's default prior: 2 virtual draws per pair that met


def expected_score(diff: float) -> float:
    """Expected score of a player rated `diff` Elo above the opponent."""
    return 1.0 / (1.0 + 10.0 ** (-diff / 400.0))


def elo_from_score(p: float) -> float:
    """Elo difference whose expected score is p (0 < p < 1)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"score must be strictly between 0 and 1, got {p}")
    return 400.0 * math.log10(p / (1.0 - p))


@dataclass(frozen=True)
class EloFit:
    """Ratings of P players. points[i, j]: points i scored against j (draws 1/2, no virtual
    games); games[i, j]: games between them. ratings, stderr: float64[P] in Elo, the anchor
    at 0 with stderr 0; cov: float64[P, P] covariance of the ratings."""
    players: tuple[str, ...]
    ratings: np.ndarray
    stderr: np.ndarray
    cov: np.ndarray
    anchor: str
    points: np.ndarray
    games: np.ndarray
    virtual_draws: float  # virtual draws added per pair that met (0: plain maximum likelihood)
    iterations: int

    @property
    def regularized(self) -> bool:
        return self.virtual_draws > 0

    def index(self, player: str) -> int:
        return self.players.index(player)

    def rating(self, player: str) -> float:
        return float(self.ratings[self.index(player)])

    def ci(self, player: str, z: float = Z95) -> tuple[float, float]:
        """Interval of a rating relative to the anchor (default 95%)."""
        i = self.index(player)
        return float(self.ratings[i] - z * self.stderr[i]), float(self.ratings[i] + z * self.stderr[i])

    def diff(self, a: str, b: str, z: float = Z95) -> tuple[float, float, float]:
        """(r_a - r_b, lower, upper) with the interval from the full covariance."""
        i, j = self.index(a), self.index(b)
        d = float(self.ratings[i] - self.ratings[j])
        var = self.cov[i, i] + self.cov[j, j] - 2.0 * self.cov[i, j]
        se = math.sqrt(max(0.0, float(var)))
        return d, d - z * se, d + z * se

    def to_dict(self) -> dict:
        return {"players": list(self.players), "anchor": self.anchor,
                "ratings": {p: float(r) for p, r in zip(self.players, self.ratings)},
                "stderr": {p: float(s) for p, s in zip(self.players, self.stderr)},
                "ci95": {p: list(self.ci(p)) for p in self.players},
                "virtual_draws": self.virtual_draws,
                "method": "maximum likelihood (Bradley-Terry, Elo scale), Wald 95% CI from the "
                          "observed Fisher information" + (
                              f"; {self.virtual_draws:g} virtual draws per pair (BayesElo prior) because "
                              "a perfect score makes the plain MLE infinite" if self.regularized else "")}


def _strongly_connected(points: np.ndarray) -> bool:
    """True when every player can reach every other along 'scored at least something against'
    edges: exactly the condition for finite maximum-likelihood ratings (Zermelo / Ford)."""
    p = points.shape[0]
    adj = points > 0

    def reach(a: np.ndarray) -> int:
        seen = np.zeros(p, bool)
        seen[0] = True
        stack = [0]
        while stack:
            i = stack.pop()
            for j in np.flatnonzero(a[i] & ~seen):
                seen[j] = True
                stack.append(int(j))
        return int(seen.sum())

    return reach(adj) == p and reach(adj.T) == p


def _connected(games: np.ndarray) -> bool:
    g = (games + games.T) > 0
    seen = {0}
    stack = [0]
    while stack:
        i = stack.pop()
        for j in np.flatnonzero(g[i]):
            if int(j) not in seen:
                seen.add(int(j))
                stack.append(int(j))
    return len(seen) == games.shape[0]


def _loglik(r: np.ndarray, w: np.ndarray, n: np.ndarray) -> float:
    d = (r[:, None] - r[None, :]) / SCALE
    # log sigmoid(d) = -log(1 + e^-d), computed stably
    log_p = -np.logaddexp(0.0, -d)
    return float((w * log_p).sum())  # each game appears as w_ij log p_ij + w_ji log p_ji


def fit_elo(points, games, players: Sequence[str] | None = None, anchor: int | str = 0,
            virtual_draws: float | str = "auto", tol: float = 1e-9, max_iter: int = 200) -> EloFit:
    """Maximum-likelihood ratings. points[i][j]: points player i scored against j (wins plus
    half the draws; fractional values are fine); games[i][j] == games[j][i]: games between
    them. The anchor (index or name) is rated 0. virtual_draws: "auto" (0 unless the MLE is
    infinite, then BayesElo's 2 per pair that met) or a number to force."""
    w = np.asarray(points, np.float64)
    n = np.asarray(games, np.float64)
    p = w.shape[0]
    if w.shape != (p, p) or n.shape != (p, p) or p < 2:
        raise ValueError("points and games must be square matrices for at least two players")
    if (w < 0).any() or (n < 0).any() or not np.allclose(n, n.T):
        raise ValueError("games must be symmetric and non-negative, points non-negative")
    if not np.allclose(w + w.T, n):
        raise ValueError("points[i, j] + points[j, i] must equal games[i, j] (draws count 1/2 each)")
    names = tuple(players) if players is not None else tuple(str(i) for i in range(p))
    if len(names) != p or len(set(names)) != p:
        raise ValueError(f"players must be {p} distinct names")
    k = names.index(anchor) if isinstance(anchor, str) else int(anchor)
    if (n.sum(axis=1) == 0).any():
        raise ValueError(f"players without games: {[names[i] for i in np.flatnonzero(n.sum(axis=1) == 0)]}")
    if not _connected(n):
        raise ValueError("the players fall into groups that never met; their ratings are not comparable")
    if virtual_draws == "auto":
        vd = 0.0 if _strongly_connected(w) else BAYESELO_VIRTUAL_DRAWS
    else:
        vd = float(virtual_draws)
    met = (n > 0).astype(np.float64)
    wf = w + 0.5 * vd * met  # fitted points: real ones plus half of each virtual draw
    nf = n + vd * met

    free = np.array([i for i in range(p) if i != k])
    r = np.zeros(p)
    ll = _loglik(r, wf, nf)
    it = 0
    for it in range(1, max_iter + 1):
        e = 1.0 / (1.0 + np.exp(-(r[:, None] - r[None, :]) / SCALE))
        grad = ((wf - nf * e).sum(axis=1)) / SCALE
        info = _information(e, nf)
        step = np.linalg.solve(info[np.ix_(free, free)], grad[free])
        t = 1.0
        while True:
            cand = r.copy()
            cand[free] += t * step
            cll = _loglik(cand, wf, nf)
            if cll >= ll - 1e-12 or t < 1e-6:
                break
            t *= 0.5
        r, ll = cand, cll
        if np.abs(t * step).max() < tol:
            break
    e = 1.0 / (1.0 + np.exp(-(r[:, None] - r[None, :]) / SCALE))
    cov = np.zeros((p, p))
    cov[np.ix_(free, free)] = np.linalg.inv(_information(e, nf)[np.ix_(free, free)])
    stderr = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    return EloFit(names, r, stderr, cov, names[k], w, n, vd, it)


def _information(e: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Observed Fisher information of the ratings (Elo units): -d2 loglik / dr dr."""
    v = n * e * (1.0 - e) / SCALE ** 2
    np.fill_diagonal(v, 0.0)
    return np.diag(v.sum(axis=1)) - v


def fit_results(results: Iterable[tuple[str, str, float]], anchor: str | None = None,
                virtual_draws: float | str = "auto") -> EloFit:
    """Ratings from (player, opponent, score of player in {0, 0.5, 1}) triples. The anchor
    defaults to the first player seen."""
    names: list[str] = []
    rows = []
    for a, b, s in results:
        if a == b:
            raise ValueError(f"a player cannot play itself: {a!r}")
        if not 0.0 <= s <= 1.0:
            raise ValueError(f"a score is in [0, 1], got {s}")
        for x in (a, b):
            if x not in names:
                names.append(x)
        rows.append((names.index(a), names.index(b), float(s)))
    p = len(names)
    w, n = np.zeros((p, p)), np.zeros((p, p))
    for i, j, s in rows:
        w[i, j] += s
        w[j, i] += 1.0 - s
        n[i, j] += 1
        n[j, i] += 1
    return fit_elo(w, n, names, anchor=anchor if anchor is not None else names[0], virtual_draws=virtual_draws)


@dataclass(frozen=True)
class MatchElo:
    """Elo of A relative to B from one match, with its 95% interval (see the module doc)."""
    elo: float
    lower: float
    upper: float
    score: float           # A's points / games
    games: int
    regularized: bool      # perfect score: estimate and interval use BayesElo's virtual draws
    bound: float | None    # perfect score: exact one-sided 95% bound (lower for 100%, upper for 0%)

    def describe(self) -> str:
        s = f"{self.elo:+.0f} Elo, 95% CI [{self.lower:+.0f}, {self.upper:+.0f}]"
        if self.regularized and self.bound is not None:
            side = ">=" if self.score == 1.0 else "<="
            s += (f" (perfect score: estimate with 2 virtual draws; exact one-sided 95% bound "
                  f"{side} {self.bound:+.0f})")
        return s


def match_elo(wins: float, draws: float, losses: float) -> MatchElo:
    """Elo of A over B from A's wins, draws and losses."""
    games = wins + draws + losses
    if games <= 0:
        raise ValueError("no games")
    pts = wins + 0.5 * draws
    fit = fit_elo([[0.0, pts], [games - pts, 0.0]], [[0.0, games], [games, 0.0]], ("A", "B"), anchor="B")
    lo, hi = fit.ci("A")
    bound = None
    if fit.regularized:
        # Clopper-Pearson one-sided 95%: with every game won, P(all won | p) = p^n >= 0.05
        q = 0.05 ** (1.0 / games)
        bound = elo_from_score(q) if pts == games else -elo_from_score(q)
    return MatchElo(fit.rating("A"), lo, hi, pts / games, round(games), fit.regularized, bound)
