"""`alphago serve` end to end in a real headless browser: Playwright driving Debian's
chromium against the server on a free port. A whole 5x5 game by clicking, undo, the territory at the
end, and the saved SGF parsed with sgfmill. Skips without chromium or playwright on a developer's
machine; fails in CI (conftest.require)."""
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from sgfmill import sgf as sgfmill

from conftest import require

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None
require(sync_playwright is not None, "playwright (Python)", 'pip install -e ".[test]"')
require(Path(CHROMIUM).exists(), "chromium", "apt-get install chromium; scripts/setup.sh does")

from alphago.go import GoState, Rules  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIZE = 5
PREFERRED = ["B2", "D4", "B4", "D2", "C2", "B3", "C4", "D3", "A1", "E5", "A5", "E1"]  # the human's tries, in order


@pytest.fixture(scope="module")
def server_url():
    import uvicorn

    from alphago.play.web.protocol import Limits
    from alphago.play.web.server import create_app, uvicorn_config
    from alphago.play.web.session import load_engines
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    limits = Limits(max_sims=64)
    app = create_app(load_engines([str(ROOT / "checkpoints" / "5x5.pt")]), limits, default_sims=8)
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port, limits))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def page(server_url):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        pg = browser.new_page(accept_downloads=True, viewport={"width": 1100, "height": 800})
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(server_url)
        yield pg
        browser.close()
        assert not errors, errors


def stones(page) -> dict[str, str]:
    """vertex -> colour of every stone the board shows."""
    return {e.get_attribute("data-vertex"): e.get_attribute("data-color")
            for e in page.query_selector_all('[data-testid=board] [data-vertex]')}


def moves(page) -> list[tuple[str, str]]:
    return [(e.get_attribute("data-player"), e.get_attribute("data-move"))
            for e in page.query_selector_all("[data-testid=moves] li")]


def wait_turn(page, timeout=60_000) -> str:
    """Wait until it is the human's move or the game is over; the status text."""
    page.wait_for_function("""() => { const s = document.querySelector('[data-testid=status]').textContent;
                                      return s.startsWith('Your move') || s.startsWith('Game over'); }""",
                           timeout=timeout)
    return page.inner_text("[data-testid=status]")


def click_move(page, vertex) -> bool:
    """Click a point; True when the server took the move (it shows up in the move list)."""
    before = len(moves(page))
    page.evaluate("() => { document.querySelector('[data-testid=error]').textContent = ''; }")
    page.click(f'[data-testid=board] [data-point="{vertex}"]')
    page.wait_for_function(f"""() => document.querySelectorAll('[data-testid=moves] li').length > {before}
                              || document.querySelector('[data-testid=error]').textContent !== ''""")
    return len(moves(page)) > before


def replayed(played: list[tuple[str, str]]) -> dict[str, str]:
    st = GoState(SIZE, Rules(komi=24.5))
    for color, vertex in played:
        st.play(vertex, 1 if color == "black" else -1)
    board = st.board
    return {f"{'ABCDE'[c]}{r + 1}": "black" if board[r, c] == 1 else "white"
            for r in range(SIZE) for c in range(SIZE) if board[r, c]}


def test_a_whole_game_by_clicking_with_undo_territory_and_sgf(page, tmp_path):
    board = page.wait_for_selector('[data-testid=board][data-size="5"]')
    assert board is not None
    page.select_option("[data-testid=color]", "white")  # the net plays Black, the winning side: no resignation
    page.click("[data-testid=new-game]")
    # the page opens on a game where I am Black: "Your move" alone may still be that game's status
    page.wait_for_function("() => document.querySelector('[data-testid=status]').textContent === 'Your move (white)'",
                           timeout=60_000)
    assert len(stones(page)) == 1 and list(stones(page).values()) == ["black"]

    page.check("[data-testid=analyse]")  # the search's view of my position: candidates, heat map, lines
    page.wait_for_selector("[data-testid=board] [data-candidate]")
    assert page.query_selector_all("[data-testid=board] [data-policy]")
    best = page.inner_text("[data-testid=candidates] tbody tr:first-child td:first-child")
    box = page.query_selector(f'[data-testid=board] [data-point="{best}"]').bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # a redraw follows: no handles
    page.wait_for_selector("[data-testid=board] [data-pv]")
    line = [e.get_attribute("data-pv") for e in page.query_selector_all("[data-testid=board] [data-pv]")]
    assert line[0] == best
    page.mouse.move(1, 1)
    page.uncheck("[data-testid=analyse]")

    clicked = []
    for vertex in PREFERRED:
        if len(clicked) == 2:
            break
        if vertex in stones(page):
            continue
        if click_move(page, vertex):
            clicked.append(vertex)
            wait_turn(page)
            assert stones(page).get(vertex) == "white"
    assert len(clicked) == 2
    assert stones(page) == replayed(moves(page))

    before = moves(page)
    page.click("[data-testid=undo]")  # takes back my last move and the engine's reply to it
    page.wait_for_function(f"() => document.querySelectorAll('[data-testid=moves] li').length === {len(before) - 2}")
    assert moves(page) == before[:-2] and clicked[-1] not in stones(page)
    assert stones(page) == replayed(moves(page))
    clicked.pop()

    status = wait_turn(page)
    for _ in range(60):  # pass until the game ends (the engine passes once the board is settled)
        if status.startswith("Game over"):
            break
        n = len(moves(page))
        page.click("[data-testid=pass]")
        # Done when the game is over, or when my pass AND the engine's reply are both in the list with
        # my move to play: "Your move" alone can be the status from before my pass reached the server.
        page.wait_for_function(f"""() => {{ const s = document.querySelector('[data-testid=status]').textContent;
            return s.startsWith('Game over') || (s.startsWith('Your move')
                   && document.querySelectorAll('[data-testid=moves] li').length >= {n + 2}); }}""",
                               timeout=60_000)
        status = page.inner_text("[data-testid=status]")
    assert status.startswith("Game over") and "Tromp-Taylor area" in status, status
    final = moves(page)
    assert final[-2:] == [("white", "pass"), ("black", "pass")] or final[-2:] == [("black", "pass"), ("white", "pass")]
    assert stones(page) == replayed(final)
    st = GoState(SIZE, Rules(komi=24.5))
    for color, vertex in final:
        st.play(vertex, 1 if color == "black" else -1)
    assert f"Result: {st.result_string()}" in status
    shaded = page.query_selector_all("[data-testid=board] [data-territory]")
    assert len(shaded) == sum((st.ownership() != 0)) - len(stones(page))

    page.click("[data-testid=moves] li:first-child")  # back to move 1 for review
    page.wait_for_function("() => document.querySelector('[data-testid=status]').textContent.startsWith('Reviewing')")
    assert stones(page) == replayed(final[:1]) and moves(page) == final

    with page.expect_download() as info:
        page.click("[data-testid=save-sgf]")
    path = tmp_path / "game.sgf"
    info.value.save_as(path)
    game = sgfmill.Sgf_game.from_bytes(path.read_bytes())
    assert game.get_size() == SIZE and game.get_komi() == 24.5
    in_sgf = []
    for node in game.get_main_sequence()[1:]:
        colour, move = node.get_move()
        in_sgf.append(("black" if colour == "b" else "white",
                       "pass" if move is None else f"{'ABCDE'[move[1]]}{move[0] + 1}"))
    assert in_sgf == final
    assert [v for c, v in in_sgf if c == "white"][: len(clicked)] == clicked
    assert game.get_root().get("RE") == st.result_string()
