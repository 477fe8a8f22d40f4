"""`alphago serve` (alphago/play/web): the game session, the analysis it reports, the WebSocket server, and the
principal variations GTP analysis now gives. On the 5x5 net, few simulations. The message protocol alone is tested
in test_serve_protocol.py, the page in a real browser in test_serve_browser.py."""
import json
import threading
import time
from pathlib import Path

import pytest
from sgfmill import sgf as sgfmill

from alphago.go import GoState, Rules
from alphago.go.coords import from_gtp
from alphago.play.web.protocol import Limits, NewGame

ROOT = Path(__file__).resolve().parents[1]
CK5 = str(ROOT / "checkpoints" / "5x5.pt")
CK7_OWN = str(ROOT / "checkpoints" / "7x7_ownership.pt")
# Starlette 1.x prefers httpx2 for its TestClient; httpx (the test extra) still works
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
LIMITS = Limits(max_sims=64, max_seconds=5.0, max_message_bytes=4096)


# ---------------------------------------------------------------- session
@pytest.fixture(scope="module")
def engines():
    from alphago.play.web.session import load_engines
    return load_engines([CK5])


def session(engines, **new):
    from alphago.play.web.session import GameSession
    s = GameSession(engines, LIMITS, default_sims=8)
    if new:
        s.new_game(NewGame(**new))
    return s


def engine_move(s):
    reports = []
    d = s.search(reports.append, threading.Event(), for_move=True)
    return d, reports


def test_load_engines_reads_size_komi_and_heads_and_names_them_uniquely():
    from alphago.play.web.session import load_engines
    e5, e5b, e7 = load_engines([CK5, CK5, CK7_OWN])
    assert (e5.name, e5.size, e5.komi, e5.ownership, e5.score) == ("5x5", 5, 24.5, False, False)
    assert e5b.name == "5x5-2"
    assert (e7.size, e7.komi, e7.ownership) == (7, 9.0, True)
    rollout, = load_engines([], size=6)
    assert (rollout.checkpoint, rollout.size) == (None, 6)


def test_new_game_uses_the_nets_board_and_komi_and_refuses_unknown_engines(engines):
    from alphago.play.web.session import SessionError
    s = session(engines)
    snap = s.snapshot()
    assert (snap["size"], snap["komi"], snap["human"], snap["moves"], snap["to_play"]) == (5, 24.5, "black", [], "black")
    s.new_game(NewGame(komi=0.5, color="white"))
    assert s.state.rules.komi == 0.5 and s.engine_to_move()
    with pytest.raises(SessionError, match="no engine named 'nope'"):
        s.new_game(NewGame(engine="nope"))
    with pytest.raises(SessionError, match="handicap"):
        s.new_game(NewGame(handicap=1))


def test_illegal_moves_and_moves_out_of_turn_are_refused_and_change_nothing(engines):
    from alphago.play.web.session import SessionError
    s = session(engines)
    for bad, words in [("Z9", "not a GTP vertex"), ("F1", "off a 5x5 board"), ("", "not a GTP vertex")]:
        with pytest.raises(SessionError, match=words):
            s.play(bad)
    s.play("C3")
    with pytest.raises(SessionError, match="white .* is to move"):
        s.play("D4")  # the engine's turn
    engine_move(s)
    with pytest.raises(SessionError, match="illegal move C3: occupied"):
        s.play("C3")
    assert len(s.state.actions) == 2


def test_engine_move_reports_analysis_plays_and_records_blacks_evaluation(engines):
    s = session(engines)
    s.play("C3")
    assert s.engine_to_move()
    d, reports = engine_move(s)
    assert reports and reports[-1].final and not any(r.final for r in reports[:-1])
    a = reports[-1]
    assert a.position == 1 and a.to_play == -1 and a.visits == 8
    assert sum(c.visits for c in a.candidates) <= 8 and a.candidates[0].visits == max(c.visits for c in a.candidates)
    assert a.policy.shape == (26,) and abs(float(a.policy.sum()) - 1) < 1e-4 and a.policy[from_gtp("C3", 5)] == 0
    assert a.ownership is None and all(c.score_lead is None for c in a.candidates)  # the 5x5 net has neither head
    # Black's view: the search's win rate is White's, since White was to move
    assert a.evaluation.winrate == pytest.approx(1 - d.winrate)
    for c in a.candidates:  # every line replays legally from the position, the candidate first
        st = s.state.copy()
        st.undo()
        assert c.pv[0] == c.action
        for move in c.pv:
            st.play(move)
    assert s.state.actions[-1] == d.action and s.cursor == 2 and not s.engine_to_move()
    snap = s.snapshot()
    assert snap["evaluations"] == [a.evaluation.as_json(1, 5)]
    assert {(x["vertex"], x["color"]) for x in snap["stones"]} == {("C3", "black"), (snap["last"], "white")}
    json.dumps(a.as_json(5))  # the report travels as JSON
    with pytest.raises(Exception, match="not the engine's move"):
        engine_move(s)


def test_undo_takes_back_the_humans_move_and_the_reply(engines):
    from alphago.play.web.session import SessionError
    s = session(engines)
    with pytest.raises(SessionError, match="nothing of yours to undo"):
        s.undo()
    s.play("C3")
    engine_move(s)
    s.play("pass")
    s.undo()
    assert len(s.state.actions) == 2 and s.cursor == 2
    s.undo()
    assert s.state.actions == [] and s.evaluations == {} and s.state.to_play == 1


def test_goto_reviews_without_the_engine_moving_and_play_or_resume_drop_later_moves(engines):
    from alphago.play.web.session import SessionError
    s = session(engines)
    s.play("C3")
    engine_move(s)
    s.play("B2")
    engine_move(s)
    moves = list(s.state.actions)
    s.goto(1)
    snap = s.snapshot()
    assert snap["reviewing"] and snap["cursor"] == 1 and [x["vertex"] for x in snap["stones"]] == ["C3"]
    assert snap["to_play"] == "white" and len(snap["moves"]) == 4 and not s.engine_to_move()
    with pytest.raises(SessionError, match="press 'play from here'"):
        s.play("B2")
    with pytest.raises(SessionError, match="no position 9"):
        s.goto(9)
    s.resume()
    assert s.state.actions == moves[:1] and s.engine_to_move()
    engine_move(s)
    s.goto(0)
    s.play("B2")  # Black to move at 0: playing there drops the rest
    assert s.state.actions == [from_gtp("B2", 5)] and not s.reviewing


def test_two_passes_end_the_game_scored_by_our_rules_with_territory_shown(engines):
    s = session(engines, color="white")
    s.state.play("C3")  # stand-in for the engine's move, to know the position
    s.cursor = 1
    s.play("pass")
    s.state.play("pass")
    s.cursor = 3
    snap = s.snapshot()
    assert snap["over"] and snap["result"] == s.state.result_string() == "B+0.5"  # 25 points - komi 24.5
    t = snap["territory"]
    assert (t["black_area"], t["white_area"], t["why"]) == (25, 0, "both passed")
    assert len(t["black"]) == 24 and t["white"] == [] and "C3" not in t["black"]
    from alphago.play.web.session import SessionError
    with pytest.raises(SessionError, match="game is over"):
        s.play("A1")
    with pytest.raises(SessionError, match="already over"):
        s.resign()


def test_resign_gives_the_engine_the_game(engines):
    s = session(engines)
    s.play("C3")
    s.resign()
    snap = s.snapshot()
    assert snap["over"] and snap["result"] == "W+R" and snap["territory"] is None and not s.engine_to_move()


def test_handicap_stones_are_set_up_and_white_moves_first():
    from alphago.play.web.session import GameSession, SessionError, load_engines
    s = GameSession(load_engines([CK7_OWN]), LIMITS, default_sims=8)
    s.new_game(NewGame(handicap=2, color="black", komi=0.5))
    snap = s.snapshot()
    assert {x["vertex"] for x in snap["stones"]} == {"C3", "E5"} and snap["to_play"] == "white"
    assert snap["handicap"] == 2 and s.engine_to_move() and snap["heads"] == {"ownership": True, "score": False}
    _, reports = engine_move(s)
    own = reports[-1].ownership  # Black's view: the two handicap stones' points lean Black
    assert own.shape == (49,) and own[from_gtp("C3", 7)] > 0 and own[from_gtp("E5", 7)] > 0
    name, data = s.sgf()
    game = sgfmill.Sgf_game.from_bytes(data)
    assert game.get_root().get_setup_stones()[0] == {(2, 2), (4, 4)}
    with pytest.raises(SessionError, match="handicap stones on 5x5"):
        GameSession(load_engines([CK5]), LIMITS).new_game(NewGame(handicap=25))


def test_sgf_holds_the_moves_and_the_evaluations_and_loads_back_for_review(engines):
    from alphago.play.web.session import SessionError
    s = session(engines)
    s.play("C3")
    engine_move(s)
    s.play("B2")
    engine_move(s)
    name, data = s.sgf()
    assert name.endswith(".sgf")
    game = sgfmill.Sgf_game.from_bytes(data)
    nodes = game.get_main_sequence()
    played = [(c, None if m is None else m[0] * 5 + m[1]) for c, m in (n.get_move() for n in nodes[1:])]
    assert played == [("bw"[i % 2], a) for i, a in enumerate(s.state.actions)]
    assert game.get_komi() == 24.5 and game.get_root().get("PB") == "You"
    ev = s.evaluations[1]
    assert nodes[1].get("C") == ev.comment(5) and f"Black win rate {ev.winrate:.1%}" in nodes[1].get("C")
    assert not nodes[2].has_property("C")  # the human's positions are evaluated only with analysis on

    t = session(engines)
    t.load_sgf(data.decode())
    snap = t.snapshot()
    assert snap["reviewing"] and snap["cursor"] == 0 and len(snap["moves"]) == 4 and not t.engine_to_move()
    t.goto(4)
    assert t.state.actions == s.state.actions and not t.engine_to_move()
    with pytest.raises(SessionError, match="the SGF is 9x9"):
        t.load_sgf("(;FF[4]SZ[9];B[ee])")
    with pytest.raises(SessionError, match="refused by our rules"):
        t.load_sgf("(;FF[4]SZ[5];B[cc];W[cc])")
    with pytest.raises(SessionError, match="malformed SGF"):
        t.load_sgf("no sgf here")
    assert t.state.actions == s.state.actions  # a refused load changes nothing


def test_analysis_of_the_humans_position_stops_when_asked(engines):
    s = session(engines)
    s.settings = s.settings.__class__(**{**s.settings.__dict__, "sims": 64})
    stop = threading.Event()
    reports = []

    def report(a):
        reports.append(a)
        stop.set()  # as if the human moved while the first step ran

    s.search(report, stop, for_move=False)
    assert len(reports) == 1 and reports[0].visits == 16 and not reports[0].final
    assert s.state.actions == [] and 0 in s.evaluations
    assert s.search(report, stop, for_move=False) is None  # stopped before it began: no search


def test_a_stopped_search_ends_after_the_simulation_under_way():
    from alphago.play.player import SearchPlayer
    player = SearchPlayer(CK5, sims=400)
    st = GoState(5, Rules(komi=24.5), history=8)
    stop = threading.Event()
    stop.set()
    d = player.decide(st, stop=stop)
    assert d.result.simulations[0] == 1 and d.result.visits[0].sum() == 1
    stop.clear()
    assert player.decide(st, stop=stop).result.simulations[0] == 400  # never set: the whole search


def test_time_per_move_bounds_the_engines_search(engines):
    from alphago.play.web.session import GameSession
    big = Limits(max_sims=10 ** 6, max_seconds=5.0, max_message_bytes=4096)   # more than 0.2 s can search
    s = GameSession(engines, big, default_sims=8)
    # the engine plays Black (at komi 24.5 the 5x5 net resigns lost White positions, which plays no stone)
    s.new_game(NewGame(seconds=0.2, color="white"))
    assert s.settings.sims == big.max_sims and s.settings.seconds == 0.2
    d, reports = engine_move(s)
    assert len(reports) == 2 and len(s.state.actions) == 1
    # the clock, not the simulation cap, ended the search (no wall-clock bound here: the machine may be busy)
    assert 1 <= reports[-1].visits < big.max_sims


def test_score_head_gives_score_leads_from_blacks_side(tmp_path):
    """A net whose score head says 'the player to move wins by 3' (as in test_gtp): after Black's C3
    every candidate of White leads by -3 (Black, to move after it, wins by 3): Black leads by +3."""
    from score_net import score_net_checkpoint

    from alphago.play.web.session import GameSession, load_engines
    engine, = load_engines([str(score_net_checkpoint(tmp_path))])
    assert engine.score and not engine.ownership and engine.komi == 2.5
    s = GameSession([engine], LIMITS, default_sims=8)
    s.play("C3")
    _, reports = engine_move(s)
    a = reports[-1]
    assert all(c.score_lead == pytest.approx(-3.0, abs=1e-3) for c in a.candidates)
    assert a.evaluation.score_lead == pytest.approx(3.0, abs=1e-3)
    assert a.as_json(5)["evaluation"]["scoreLead"] == 3.0 and s.snapshot()["heads"]["score"]
    assert "Black's score lead +3.0" in s.evaluations[1].comment(5)


def test_search_steps_by_time_share_the_budget():
    from alphago.play.web.analysis import search_steps
    assert search_steps(8, None) == [(8, None)]
    assert search_steps(200, None) == [(50, None), (200, None)]
    assert sum(t for _, t in search_steps(1600, 2.0)) == pytest.approx(2.0)


# ---------------------------------------------------------------- principal variations (GTP too)
def test_kata_analyze_gives_the_whole_line_as_pv():
    from alphago.play.gtp import GtpEngine
    from alphago.play.player import SearchPlayer
    engine = GtpEngine(SearchPlayer(CK5, sims=64), size=5, komi=24.5)
    resp, _ = engine.handle("kata-analyze 50")  # one report (a quarter of the budget: 16 simulations)
    first = resp.split("info ")[1].split()
    pv = first[first.index("pv") + 1:]
    assert pv[0] == first[1] and len(pv) > 1  # the search reached below the most visited move
    st = GoState(5, Rules(komi=24.5))
    for v in pv:
        st.play(v)  # a legal line, the players alternating


# ---------------------------------------------------------------- the server
@pytest.fixture(scope="module")
def client(engines):
    from starlette.testclient import TestClient

    from alphago.play.web.server import create_app
    with TestClient(create_app(engines, LIMITS, default_sims=8, workers=2)) as c:
        yield c


def receive_until(ws, kind, pred=lambda m: True, limit=200):
    seen = []
    for _ in range(limit):
        m = ws.receive_json()
        seen.append(m["type"])
        if m["type"] == kind and pred(m):
            return m
    raise AssertionError(f"no {kind} message: {seen}")


def test_page_and_static_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and 'src="/static/app.js"' in page.text
    for name in ("app.js", "board.js", "graph.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert client.get("/static/../server.py").status_code == 404


def test_websocket_game_with_bad_input_on_the_way(client):
    with client.websocket_connect("/ws") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["engines"][0]["name"] == "5x5" and hello["limits"]["maxSims"] == 64
        assert ws.receive_json()["moves"] == []
        for frame, words in [("{oops", "not JSON"), ('{"type": "fly"}', "unknown message type"),
                             ('{"type": "play", "vertex": "C3", "x": 1}', "unknown field"),
                             ('{"type": "new", "sims": 100000}', "sims must be between"),
                             ('{"type": "play", "vertex": "' + "A" * 5000 + '"}', "message too large"),
                             ('{"type": "play", "vertex": "Q9"}', "off a 5x5 board"),
                             ('{"type": "undo"}', "nothing of yours")]:
            ws.send_text(frame)
            m = ws.receive_json()
            assert m["type"] == "error" and words in m["message"], (frame, m)
        ws.send_bytes(b"\x00\xff")
        assert ws.receive_json()["type"] == "error"
        ws.send_text('{"type": "play", "vertex": "C3"}')  # the connection still serves
        assert receive_until(ws, "state")["moves"] == [{"color": "black", "vertex": "C3"}]
        assert receive_until(ws, "thinking")["on"] is True
        analysis = receive_until(ws, "analysis")
        assert analysis["position"] == 1 and analysis["toPlay"] == "white" and analysis["candidates"]
        m = receive_until(ws, "state", lambda m: len(m["moves"]) == 2)
        assert m["to_play"] == "black" and m["evaluations"][0]["position"] == 1
        ws.send_text('{"type": "save_sgf"}')
        sgf = receive_until(ws, "sgf")
        moves = [n.get_move() for n in sgfmill.Sgf_game.from_string(sgf["sgf"]).get_main_sequence()[1:]]
        assert [c for c, _ in moves] == ["b", "w"] and moves[0][1] == (2, 2)


def test_tabs_have_their_own_games_and_a_search_does_not_block_another_tab(client):
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        for ws in (a, b):
            receive_until(ws, "state")
        a.send_text('{"type": "new", "sims": 64}')
        receive_until(a, "state")
        a.send_text('{"type": "play", "vertex": "C3"}')
        receive_until(a, "thinking")
        started = time.perf_counter()
        b.send_text('{"type": "play", "vertex": "B2"}')  # answered while A's engine searches
        state_b = receive_until(b, "state")
        answered_b = time.perf_counter() - started
        assert state_b["moves"] == [{"color": "black", "vertex": "B2"}]
        a.send_text('{"type": "pass"}')  # one search at a time per game
        assert receive_until(a, "error")["message"] == "the engine is thinking: wait for its move"
        receive_until(a, "state", lambda m: len(m["moves"]) == 2)
        searched_a = time.perf_counter() - started
        assert answered_b < searched_a
        receive_until(b, "state", lambda m: len(m["moves"]) == 2)


def test_analysis_toggle_analyses_the_humans_position(client):
    with client.websocket_connect("/ws") as ws:
        receive_until(ws, "state")
        ws.send_text('{"type": "analyse", "on": true}')
        a = receive_until(ws, "analysis", lambda m: m["final"])
        assert a["position"] == 0 and a["toPlay"] == "black" and a["evaluation"]["position"] == 0
        assert all(c["pv"][0] == c["move"] for c in a["candidates"])
        ws.send_text('{"type": "analyse", "on": false}')
        ws.send_text('{"type": "goto", "position": 0}')
        assert receive_until(ws, "state")["evaluations"][0]["position"] == 0


def test_oversize_frames_over_the_real_transport(engines):
    """Through uvicorn: a frame over the protocol's bound gets an error reply on a live connection;
    one over the transport's limit closes that connection only (1009), and the server serves on."""
    import socket

    import uvicorn
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    from alphago.play.web.server import WS_FRAME_FACTOR, create_app, uvicorn_config
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(create_app(engines, LIMITS, default_sims=8), "127.0.0.1", port, LIMITS))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        url = f"ws://127.0.0.1:{port}/ws"
        with connect(url) as ws:
            assert [json.loads(ws.recv())["type"] for _ in range(2)] == ["hello", "state"]
            ws.send("x" * (2 * LIMITS.max_message_bytes))
            assert "message too large" in json.loads(ws.recv())["message"]
            ws.send(json.dumps({"type": "save_sgf"}))
            assert json.loads(ws.recv())["type"] == "sgf"
            ws.send("x" * (WS_FRAME_FACTOR * LIMITS.max_message_bytes + 1))
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv()
            assert closed.value.rcvd.code == 1009
        with connect(url) as ws:
            assert json.loads(ws.recv())["type"] == "hello"
    finally:
        server.should_exit = True
        thread.join(10)


def test_serve_binds_loopback_unless_told_and_warns(monkeypatch, capsys, engines):
    import uvicorn

    from alphago.play.web import server
    calls = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: calls.append(self.config.__dict__))
    server.serve(engines, port=8123)
    assert calls[-1]["host"] == "127.0.0.1" and calls[-1]["port"] == 8123
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8123/" in out and "WARNING" not in out
    server.serve(engines, host="0.0.0.0", port=8124)
    out = capsys.readouterr().out
    assert "WARNING" in out and "0.0.0.0" in out
    assert server.is_loopback("::1") and server.is_loopback("localhost") and not server.is_loopback("192.168.1.2")


def test_cli_serve_refuses_bad_settings():
    from alphago.cli import main
    with pytest.raises(SystemExit, match="--sims must be between 1 and --max-sims"):
        main(["serve", "--checkpoint", CK5, "--sims", "5000"])
    with pytest.raises(SystemExit, match="no checkpoint at"):
        main(["serve", "--checkpoint", "nowhere.pt"])
