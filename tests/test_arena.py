"""The arena: a real 5x5 game between our rollout player and GNU Go through the arena code
path, and engines that die, hang or talk nonsense losing their games without hurting it."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import require
from sgfmill import boards, sgf

from alphago.play import arena
from alphago.play.arena import (
    ArenaError,
    EngineSpec,
    GtpClient,
    GtpGarbage,
    GtpRefused,
    GtpTimeout,
    count_without,
    game_seeds,
    match_board,
    parse_score,
    parse_spec,
    replay_moves,
    run_match,
)

FAKE = textwrap.dedent('''
    """A tiny GTP engine whose genmove misbehaves in the way argv[1] says."""
    import sys, time
    mode = sys.argv[1]
    noseed = "noseed" in sys.argv[2:]  # answers "?" to set_random_seed, as engines without it do
    genmoves = 0
    for raw in sys.stdin:
        words = raw.split()
        if not words:
            continue
        ident = words.pop(0) if words[0].isdigit() else ""
        cmd = words[0]
        out = ""
        if cmd == "quit":
            print(f"={ident}\\n", flush=True)
            break
        if cmd == "genmove":
            genmoves += 1
            if mode == "passer":
                out = "pass"
            elif mode == "die" and genmoves == 2:
                sys.stderr.write("fake engine: dying now\\n")
                sys.exit(3)
            elif mode == "garbage" and genmoves == 2:
                print("hello, I am not GTP", flush=True)
                continue
            elif mode == "error" and genmoves == 2:
                print(f"?{ident} cannot think\\n", flush=True)
                continue
            elif mode == "hang" and genmoves == 2:
                time.sleep(60)
            elif mode == "offboard" and genmoves == 2:
                out = "Z99"
            else:
                out = "C3"  # the second time this is occupied: illegal (mode "occupied")
        elif cmd == "set_random_seed" and noseed:
            print(f"?{ident} unknown command\\n", flush=True)
            continue
        elif cmd == "play" and mode == "refuse":
            print(f"?{ident} illegal move\\n", flush=True)
            continue
        elif cmd == "final_score":
            out = "B+1000"
        print(f"={ident} {out}".rstrip() + "\\n", flush=True)
''')


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    path = tmp_path_factory.mktemp("fake") / "fake_gtp.py"
    path.write_text(FAKE)

    def spec(mode: str, *flags: str) -> EngineSpec:
        return EngineSpec("-".join(("fake", mode) + flags), (sys.executable, str(path), mode, *flags))
    return spec


# ------------------------------------------------------------------ faulty engines

@pytest.mark.parametrize("mode,reason,result_suffix", [
    ("die", "died", "F"), ("garbage", "protocol", "F"), ("error", "gtp-error", "F"),
    ("occupied", "illegal", "F"), ("offboard", "illegal", "F"), ("hang", "timeout", "T"),
])
def test_faulty_engine_loses_without_crashing_the_arena(fake, tmp_path, mode, reason, result_suffix):
    bad, good = fake(mode), fake("passer")
    res = run_match(bad, good, games=2, size=5, komi=0.5, parallel=2, sgf_dir=tmp_path,
                    move_timeout=1.5 if mode == "hang" else 30)
    assert len(res.games) == 2
    for g in res.games:
        # the faulty engine played C3 and the passer passed, then its next genmove went wrong
        assert g.winner_label == "fake-passer", (g.reason, g.detail)
        assert g.reason == reason, g.detail
        assert g.result == ("W+" if g.a_color == 1 else "B+") + result_suffix
        assert g.moves == (["C3", "pass"] if g.a_color == 1 else ["pass", "C3", "pass"])
        parsed = sgf.Sgf_game.from_bytes(Path(g.sgf).read_bytes())
        assert parsed.get_root().get("RE") == g.result
    if mode == "die":
        assert "dying now" in res.games[0].detail and "exit code 3" in res.games[0].detail
    c = res.counts()
    assert c["total"]["b_wins"] == 2 and c["a_black"]["games"] == 1 and c["a_white"]["games"] == 1
    assert "lost by " + reason in res.table()


def test_engine_refusing_a_legal_move_loses(fake):
    res = run_match(fake("refuse"), fake("occupied"), games=2, size=5, komi=0.5, parallel=1)
    for g in res.games:
        # whoever moves first plays C3; the refuser refuses its opponent's legal C3 (game 1)
        # or its opponent refuses nothing and the refuser's own C3 is echoed fine (game 0)
        assert g.reason in ("refused", "illegal")
    g1 = res.games[1]  # the "occupied" engine is black and plays C3; the refuser refuses it
    assert g1.reason == "refused" and g1.winner == 1


def test_two_passes_are_counted_and_engine_scores_recorded(fake):
    res = run_match(fake("passer"), fake("passer"), games=1, size=5, komi=0.5, parallel=1)
    g = res.games[0]
    assert g.reason == "passes" and g.moves == ["pass", "pass"] and g.result == "W+0.5" and g.score == -0.5
    assert g.black == "fake-passer (A)" and g.white == "fake-passer (B)"
    assert g.engine_scores == {"fake-passer (A)": "B+1000", "fake-passer (B)": "B+1000"}
    assert arena.reconcile(g, 5, 0.5) == {"fake-passer (A)": "differs", "fake-passer (B)": "differs"}


def test_random_openings_are_paired_and_sent_to_both_engines(fake):
    res = run_match(fake("passer"), fake("passer"), games=4, size=5, komi=0.5, parallel=2, opening_moves=3, seed=7)
    g = res.games
    assert all(x.opening == 3 and len(x.moves) == 5 and x.moves[3:] == ["pass", "pass"] for x in g)
    assert g[0].moves[:3] == g[1].moves[:3] and g[2].moves[:3] == g[3].moves[:3]
    assert g[0].moves[:3] != g[2].moves[:3] and "pass" not in g[0].moves[:3]
    assert arena.random_opening(5, 0.5, 3, (7, 0)) == [replay_moves([], 5, 0.5).action(v) for v in g[0].moves[:3]]


def test_every_game_gets_its_own_seeds(fake):
    res = run_match(fake("passer"), fake("passer", "noseed"), games=4, size=5, komi=0.5, parallel=2, seed=3)
    seen = set()
    for g in res.games:  # an engine answering "?" to set_random_seed plays on
        assert g.reason == "passes", g.detail
        a, b = game_seeds(3, g.index)
        assert g.seeds == {"fake-passer": a, "fake-passer-noseed": b}
        seen.update((a, b))
    assert len(seen) == 8 and all(0 <= x < 2 ** 31 for x in seen)
    assert game_seeds(3, 1) == game_seeds(3, 1) != game_seeds(4, 1)
    res = run_match(fake("passer"), fake("passer"), games=2, size=5, komi=0.5, parallel=1, randomize=False)
    assert all(g.seeds == {} for g in res.games)


def test_an_engine_pool_serves_later_matches_and_keeps_only_running_engines(fake):
    """run_match(pool=...): engines come from the pool and go back to it; a second match with the same
    command lines starts nothing; an engine that died is not kept; max_idle closes the least recently
    used; close() ends the rest."""
    from alphago.play.engine_pool import EnginePool
    with EnginePool() as pool:
        run_match(fake("passer"), fake("passer", "noseed"), games=4, size=5, komi=0.5, parallel=2, pool=pool)
        assert (pool.started, pool.reused) == (4, 0)           # two workers, one engine per player each
        idle = list(pool._idle.values())
        assert len(idle) == 4 and all(c.proc.poll() is None for c in idle)
        res = run_match(fake("passer"), fake("passer", "noseed"), games=4, size=5, komi=0.5, parallel=2, pool=pool)
        assert (pool.started, pool.reused) == (4, 4) and all(g.reason == "passes" for g in res.games)
        run_match(fake("passer"), fake("die"), games=2, size=5, komi=0.5, parallel=1, pool=pool)
        assert pool.reused == 5 and pool.started == 6           # "die" twice (it dies in each game)
        assert all(c.alive and c.proc.poll() is None for c in pool._idle.values())
        assert not any(c.argv[-1] == "die" for c in pool._idle.values())
    assert not pool._idle and all(c.proc.poll() is not None for c in idle)
    with EnginePool(max_idle=1) as small:
        run_match(fake("passer"), fake("passer", "noseed"), games=2, size=5, komi=0.5, parallel=1, pool=small)
        assert len(small._idle) == 1


def test_reused_engines_play_the_games_fresh_ones_play():
    """The ladder keeps our engines between matches: the referee's per-game set-up (clear_board,
    komi, set_random_seed) makes a reused engine, after other games, play exactly the games it played
    when it was fresh."""
    from alphago.play.engine_pool import EnginePool
    a, b = (parse_spec(s, 5, 0.5, resign=False, root_noise=0.1) for s in ("uniform@6", "rollout@6"))
    kw = dict(games=2, size=5, komi=0.5, parallel=1, opening_moves=2, seed=11)
    with EnginePool() as pool:
        fresh = run_match(a, b, opening_offset=3, pool=pool, **kw)
        other = run_match(a, b, opening_offset=0, pool=pool, **kw)         # other games in between
        again = run_match(a, b, opening_offset=3, pool=pool, **kw)
        assert (pool.started, pool.reused) == (2, 4)
    moves = lambda res: [(g.moves, g.winner, g.score) for g in res.games]  # noqa: E731
    assert moves(again) == moves(fresh) != moves(other)


def test_distinct_games_are_counted(tmp_path):
    def rec(i, moves):
        return arena.RefereeGame(i, "a", "b", 1 if i % 2 == 0 else -1, 1, "passes", "B+1", 1.0, moves)
    games = [rec(0, ["C3", "D4", "pass", "pass"]), rec(1, ["C3", "D4", "pass", "pass"]),
             rec(2, ["C3", "D3", "pass", "pass"]), rec(3, ["C3", "D4", "pass"]), rec(4, ["C3", "D4", "pass", "pass"])]
    m = arena.MatchResult("a", "b", 5, 0.5, games)
    assert m.distinct_games() == 3  # games 0, 1 and 4 are one game
    assert m.counts()["distinct_games"] == 3 and m.to_dict()["distinct_games"] == 3
    assert "distinct games: 3 of 5 (different move sequences)" in m.table()
    assert arena.MatchResult("a", "b", 5, 0.5, games[:1]).distinct_games() == 1


def _tiny_checkpoint(path, size: int, komi: float):
    """A randomly initialised small net saved as a training run would save it."""
    from alphago.go import Rules
    from alphago.go.features import FeatureConfig
    from alphago.net.model import NetConfig, PolicyValueNet
    from alphago.train.checkpoint import save_checkpoint
    features, net = FeatureConfig(), NetConfig(blocks=1, channels=8, value_hidden=8)
    meta = {"board_size": size, "in_planes": features.num_planes, "net": dict(net.__dict__),
            "features": dict(features.__dict__), "rules": dict(Rules(komi=komi).__dict__), "step": 0,
            "weight_version": 0}
    return save_checkpoint(path, PolicyValueNet(size, features.num_planes, net), meta)


def test_board_size_and_komi_come_from_the_checkpoints(tmp_path):
    ck5 = str(_tiny_checkpoint(tmp_path / "five.pt", 5, 2.5))
    ck5b = str(_tiny_checkpoint(tmp_path / "five_b.pt", 5, 3.5))
    ck7 = str(_tiny_checkpoint(tmp_path / "seven.pt", 7, 6.5))
    assert match_board([f"{ck5}@50", "gnugo:1"]) == (5, 2.5)
    assert match_board(["rollout@9", ck5]) == (5, 2.5)
    assert match_board([ck5, ck5b], komi=0.5) == (5, 0.5)
    assert match_board([ck5, ck5b]) == (5, 2.5)  # A's komi
    assert match_board([ck5], size=5) == (5, 2.5)
    assert match_board(["rollout", "gnugo"]) == (9, 7.5) and match_board(["uniform", "gnugo:3"], 5, 1) == (5, 1)
    with pytest.raises(ValueError, match=r"9x9.*5x5"):
        match_board([ck5, "gnugo:1"], size=9)
    with pytest.raises(ValueError, match="different board sizes") as info:
        match_board([ck5, ck7])
    assert "5x5" in str(info.value) and "7x7" in str(info.value)
    s = parse_spec(ck5, 5, 2.5, root_noise=0.1)
    assert s.argv[s.argv.index("--root-noise") + 1] == "0.1"
    assert "--root-noise" not in parse_spec(ck5, 5, 2.5).argv
    assert "--root-noise" not in parse_spec("rollout", 5, 2.5, root_noise=0.1).argv

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "alphago.cli", "arena", *args, "--games", "1"],
                              capture_output=True, text=True, timeout=300, check=False)
    p = cli("--a", ck5, "--b", ck7)
    assert p.returncode != 0 and "different board sizes" in p.stderr and "Traceback" not in p.stderr
    p = cli("--a", ck5, "--b", "uniform", "--size", "9")
    assert p.returncode != 0 and "9x9" in p.stderr and "5x5" in p.stderr and "Traceback" not in p.stderr


def test_engines_that_cannot_start_stop_the_match(fake, tmp_path):
    with pytest.raises(arena.EngineStartError):
        run_match(EngineSpec("nothing", (str(tmp_path / "no-such-engine"),)), fake("passer"), 2, 5, 0.5)
    quitter = EngineSpec("quitter", (sys.executable, "-c", "import sys; sys.exit(1)"))
    with pytest.raises(ArenaError, match="failed to start"):
        run_match(quitter, fake("passer"), 2, 5, 0.5)


def test_gtp_client_protocol(fake):
    c = GtpClient(fake("passer").argv, name="p")
    assert c.send("name") == ""
    assert c.send("genmove b") == "pass"
    c.close()
    c = GtpClient(fake("error").argv, name="e")
    c.send("genmove b")
    with pytest.raises(GtpRefused, match="cannot think"):
        c.send("genmove b")
    assert c.alive and c.send("genmove b") == "C3"  # a '?' leaves the engine usable
    c.close()
    c = GtpClient(fake("garbage").argv, name="g")
    c.send("genmove b")
    with pytest.raises(GtpGarbage):
        c.send("genmove b")
    assert not c.alive
    c = GtpClient(fake("hang").argv, name="h")
    c.send("genmove b")
    with pytest.raises(GtpTimeout):
        c.send("genmove b", timeout=0.5)
    assert not c.alive


def test_specs(tmp_path):
    s = parse_spec("rollout@37", 5, 6.5)
    assert s.label == "rollout@37" and "--sims" in s.argv and s.argv[s.argv.index("--sims") + 1] == "37"
    assert s.argv[s.argv.index("--komi") + 1] == "6.5" and "rollout" in s.argv
    assert parse_spec("uniform", 5, 6.5, sims=9).label == "uniform@9"
    assert parse_spec("gtp:/bin/engine --x 1", 5, 0).argv == ("/bin/engine", "--x", "1")
    ck = tmp_path / "step_0000100.pt"
    ck.write_bytes(b"x")
    s = parse_spec(f"{ck}@50", 5, 7.5)
    assert s.label == "step_0000100@50" and str(ck) in s.argv
    with pytest.raises(ValueError):
        parse_spec("no/such/file.pt", 5, 7.5)
    assert parse_score("B+3.5") == 3.5 and parse_score("W+7.0") == -7.0 and parse_score("0") == 0
    assert parse_score("B+R") is None


# ------------------------------------------------------------------ a real game against GNU Go

def test_rollout_player_vs_gnugo_full_game(tmp_path):
    require(arena.gnugo_binary() is not None, "GNU Go", "apt-get install gnugo")
    size, komi = 5, 2.5
    ours = parse_spec("rollout@24", size, komi, resign=False)
    gnugo = EngineSpec("gnugo:1", tuple(arena.gnugo_argv(1, never_resign=True)))
    res = run_match(ours, gnugo, games=1, size=size, komi=komi, parallel=1, sgf_dir=tmp_path)
    g = res.games[0]
    assert (g.black, g.white) == ("rollout@24", "gnugo:1")

    # ended properly: two passes (or the move cap), counted; never a forfeit
    assert g.reason in ("passes", "move-cap"), (g.reason, g.detail)
    if g.reason == "passes":
        assert g.moves[-2:] == ["pass", "pass"]
    # every move legal under our rules (replay_moves raises otherwise), and the count is ours
    final = replay_moves(g.moves, size, komi)
    assert final.score() == g.score and final.result_string() == g.result

    # the SGF: parses with sgfmill, names the players, has the result and replays to the final board
    data = Path(g.sgf).read_bytes()
    game = sgf.Sgf_game.from_bytes(data)
    root = game.get_root()
    assert game.get_size() == size and game.get_komi() == komi
    assert (root.get("PB"), root.get("PW"), root.get("RE")) == ("rollout@24", "gnugo:1", g.result)
    board = boards.Board(size)
    seq = [node.get_move() for node in game.get_main_sequence()[1:]]
    assert len(seq) == len(g.moves)
    for colour, move in seq:
        if move is not None:
            board.play(move[0], move[1], colour)
    expected = final.board  # row 0 = bottom, as sgfmill
    got = np.array([[{None: 0, "b": 1, "w": -1}[board.get(r, c)] for c in range(size)] for r in range(size)])
    assert (got == expected).all()

    # GNU Go's own count (the engine saw every move) against our Tromp-Taylor count
    assert "gnugo:1" in g.engine_scores, g.engine_scores
    theirs = parse_score(g.engine_scores["gnugo:1"])
    assert theirs is not None
    if theirs == g.score:
        assert arena.reconcile(g, size, komi)["gnugo:1"] == "agrees"
    else:
        # GNU Go removes the stones it judges dead before counting; Tromp-Taylor counts every
        # stone on the board. With --capture-all-dead GNU Go captures its opponent's dead
        # stones itself before passing, so a gap can only come from stones that were left on
        # the board when both passed (our player passed early); counting our board without
        # GNU Go's dead list must then give exactly GNU Go's number.
        print(f"GNU Go counts {g.engine_scores['gnugo:1']}, Tromp-Taylor {g.result}; "
              f"GNU Go's dead stones: {g.dead_stones['gnugo:1']}")
        assert g.dead_stones["gnugo:1"], "the counts differ without any dead stones to explain it"
        assert count_without(final, g.dead_stones["gnugo:1"], komi) == pytest.approx(theirs)
    if not g.dead_stones["gnugo:1"]:  # the same board counted the same way: the same winner
        assert (theirs > 0) == (g.score > 0)
    # our own engine's final_score is the same Tromp-Taylor count
    assert parse_score(g.engine_scores["rollout@24"]) == pytest.approx(g.score)
    assert "Elo(A - B)" in res.table()


def test_games_against_gnugo_differ_thanks_to_seeds(tmp_path):
    """Our search and GNU Go level 1 are deterministic for a given seed, so the same
    pairing with the same colours replays one game; different seeds (set_random_seed) give a
    different game, the same seeds the very same game again."""
    require(arena.gnugo_binary() is not None, "GNU Go", "apt-get install gnugo")
    size, komi = 5, 2.5
    ours = parse_spec("rollout@16", size, komi, resign=False)
    gnugo = EngineSpec("gnugo:1", tuple(arena.gnugo_argv(1, never_resign=True)))
    res = run_match(ours, gnugo, games=2, size=size, komi=komi, parallel=1, seed=5, sgf_dir=tmp_path)
    assert all(g.reason in ("passes", "move-cap") for g in res.games), [(g.reason, g.detail) for g in res.games]
    assert res.distinct_games() == 2 and res.to_dict()["distinct_games"] == 2
    assert "distinct games: 2 of 2" in res.table()
    assert res.games[0].seeds["gnugo:1"] != res.games[1].seeds["gnugo:1"]
    assert "set_random_seed" in sgf.Sgf_game.from_bytes(Path(res.games[0].sgf).read_bytes()).get_root().get("C")

    # the same colours: only the seeds differ
    a, b = GtpClient(ours.argv, name="ours"), GtpClient(gnugo.argv, name="gnugo:1")
    try:
        def game(seeds):
            return arena.play_game(0, a, b, "ours", "gnugo:1", size, komi, seeds=seeds).moves
        first = game({1: 11, -1: 12})
        assert game({1: 21, -1: 22}) != first
        assert game({1: 11, -1: 12}) == first
    finally:
        a.close()
        b.close()
