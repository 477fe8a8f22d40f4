"""Regenerate docs/play.png: `alphago serve`'s page in mid-game with analysis on, in headless chromium.

    PYTHONPATH=. python scripts/play_screenshot.py [--checkpoint checkpoints/9x9.pt] [--out docs/play.png]

Starts the server on a free port, plays the given moves for the human (Black) by clicking, turns
"analyse" on, waits for the full analysis of the position and photographs the page. Needs
playwright (the test extra) and chromium (scripts/setup.sh).
"""
from __future__ import annotations

import argparse
import shutil
import socket
import threading
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="checkpoints/9x9.pt")
    ap.add_argument("--moves", default="E5 C4 G6 D7", help="the human's (Black's) moves, clicked in turn")
    ap.add_argument("--sims", type=int, default=200)
    ap.add_argument("--out", default="docs/play.png")
    ap.add_argument("--width", type=int, default=1180)
    ap.add_argument("--height", type=int, default=820)
    args = ap.parse_args()

    import uvicorn
    from playwright.sync_api import sync_playwright

    from alphago.play.web.protocol import Limits
    from alphago.play.web.server import create_app, uvicorn_config
    from alphago.play.web.session import load_engines

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(load_engines([args.checkpoint]), default_sims=args.sims)
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port, Limits()))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    status = "() => document.querySelector('[data-testid=status]').textContent.startsWith('Your move')"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                        args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("[data-testid=board]")
            page.check("[data-testid=analyse]")  # every position gets an evaluation: a fuller graph
            for vertex in args.moves.split():
                page.wait_for_function(status, timeout=300_000)
                page.wait_for_function("() => document.querySelector('#summary').textContent.startsWith('Black')",
                                       timeout=300_000)
                page.click(f'[data-testid=board] [data-point="{vertex}"]')
                page.wait_for_timeout(300)
            page.wait_for_function(status, timeout=300_000)
            page.wait_for_function("() => document.querySelector('#summary').textContent.startsWith('Black')",
                                   timeout=300_000)
            page.screenshot(path=args.out, full_page=True)
            browser.close()
    finally:
        server.should_exit = True
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
