"""`alphago serve`: the web server (Starlette on uvicorn) behind the page in static/.

GET / is the page, /static/* its scripts and styles, /ws the game: every WebSocket connection
(every browser tab) gets its own GameSession (session.py), so several games run at once. The
server owns the game; frames carry intents (protocol.py) and get the new state, search reports
or an error back. Searches run in a thread pool, never on the event loop, one at a time per
game; each connection sends through its own queue, so a slow client holds up only itself.
"""
from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import FileResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from .protocol import Analyse, Goto, LoadSgf, Limits, NewGame, Play, ProtocolError, Simple, parse_intent
from .session import Engine, GameSession, SessionError

STATIC = Path(__file__).parent / "static"
WS_FRAME_FACTOR = 4  # the transport's frame limit, in protocol bounds (uvicorn_config)
log = logging.getLogger("alphago.serve")


class Connection:
    """One tab's game: reads intents, applies them, starts the searches they call for."""

    def __init__(self, ws: WebSocket, session: GameSession, executor: Executor, limits: Limits):
        self.ws, self.session, self.executor, self.limits = ws, session, executor, limits
        self.outbox: asyncio.Queue[dict] = asyncio.Queue()
        self.task: asyncio.Task | None = None   # the one search of this game, if any
        self.task_is_move = False
        self.stop = threading.Event()
        self.analyse = False                    # analyse the human's positions too

    def send(self, msg: dict) -> None:
        self.outbox.put_nowait(msg)

    async def _send_loop(self) -> None:
        while True:
            msg = await self.outbox.get()
            await self.ws.send_text(json.dumps(msg))

    async def run(self, hello: dict) -> None:
        await self.ws.accept()
        sender = asyncio.create_task(self._send_loop())
        try:
            self.send(hello)
            self.send(self.session.snapshot())
            while True:
                msg = await self.ws.receive()
                if msg["type"] == "websocket.disconnect":
                    break
                frame = msg.get("text") if msg.get("text") is not None else msg.get("bytes") or b""
                await self.handle(frame)
        finally:
            self.stop.set()  # an analysis ends within a simulation; a move search runs out its bound
            sender.cancel()

    def searching(self) -> bool:
        return self.task is not None and not self.task.done()

    async def handle(self, frame: str | bytes) -> None:
        try:
            intent = parse_intent(frame, self.limits)
        except ProtocolError as exc:
            self.send({"type": "error", "message": str(exc)})
            return
        if isinstance(intent, Simple) and intent.type == "save_sgf":
            name, data = self.session.sgf()
            self.send({"type": "sgf", "filename": name, "sgf": data.decode()})
            return
        if isinstance(intent, Analyse):
            self.analyse = intent.on
            if not intent.on:
                self.stop.set()
            elif not self.searching():
                self._next()
            return
        if self.searching():
            if self.task_is_move:
                self.send({"type": "error", "message": "the engine is thinking: wait for its move"})
                return
            self.stop.set()  # an analysis: it ends within a simulation, then act
            await self.task
        try:
            await self._apply(intent)
        except SessionError as exc:
            self.send({"type": "error", "message": str(exc)})
            return
        except Exception as exc:  # a bug must not end the connection: report it, keep the game
            log.exception("intent %r failed", intent)
            self.send({"type": "error", "message": f"internal error: {type(exc).__name__}: {exc}"})
            return
        self.send(self.session.snapshot())
        self._next()

    async def _apply(self, intent) -> None:
        s = self.session
        if isinstance(intent, NewGame):
            await asyncio.to_thread(s.new_game, intent)  # may load a net: not on the loop
        elif isinstance(intent, LoadSgf):
            await asyncio.to_thread(s.load_sgf, intent.sgf)
        elif isinstance(intent, Play):
            s.play(intent.vertex)
        elif isinstance(intent, Goto):
            s.goto(intent.position)
        elif intent.type == "pass":
            s.play("pass")
        elif intent.type == "resign":
            s.resign()
        elif intent.type == "undo":
            s.undo()
        elif intent.type == "resume":
            s.resume()

    def _next(self) -> None:
        """Start what the game calls for now: the engine's move, else (when asked) an analysis."""
        s = self.session
        if s.engine_to_move():
            self._start(for_move=True)
        elif self.analyse and not s.view().is_over and not (s.over and s.cursor == len(s.state.actions)):
            self._start(for_move=False)

    def _start(self, for_move: bool) -> None:
        self.stop = threading.Event()
        self.task_is_move = for_move
        self.send({"type": "thinking", "on": True, "move": for_move})
        self.task = asyncio.create_task(self._search(for_move, self.stop))

    async def _search(self, for_move: bool, stop: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        n = self.session.n

        def report(a) -> None:  # called on the search's thread
            loop.call_soon_threadsafe(self.send, a.as_json(n))

        try:
            await loop.run_in_executor(self.executor, self.session.search, report, stop, for_move)
        except SessionError as exc:
            self.send({"type": "error", "message": str(exc)})
        except Exception as exc:  # a failed search must not end the connection
            log.exception("search failed")
            self.send({"type": "error", "message": f"search failed: {type(exc).__name__}: {exc}"})
        self.send({"type": "thinking", "on": False, "move": for_move})
        self.send(self.session.snapshot())
        if for_move:
            self._next()  # the human's turn now: analyse it if asked


def create_app(engines: list[Engine], limits: Limits = Limits(), default_sims: int = 200,
               workers: int | None = None) -> Starlette:
    executor = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2, thread_name_prefix="search")
    hello = {"type": "hello", "limits": {"maxSims": limits.max_sims, "maxSeconds": limits.max_seconds},
             "defaultSims": min(default_sims, limits.max_sims),
             "engines": [{"name": e.name, "size": e.size, "komi": e.komi, "ownership": e.ownership,
                          "score": e.score} for e in engines]}

    async def index(request):
        return FileResponse(STATIC / "index.html")

    async def game(ws: WebSocket) -> None:
        session = await asyncio.to_thread(GameSession, engines, limits, default_sims)
        await Connection(ws, session, executor, limits).run(hello)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        executor.shutdown(wait=False, cancel_futures=True)

    return Starlette(routes=[Route("/", index), WebSocketRoute("/ws", game),
                             Mount("/static", StaticFiles(directory=STATIC), name="static")],
                     lifespan=lifespan)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(engines: list[Engine], host: str = "127.0.0.1", port: int = 8000, limits: Limits = Limits(),
          default_sims: int = 200, workers: int | None = None) -> int:
    import uvicorn
    app = create_app(engines, limits, default_sims, workers)
    if not is_loopback(host):
        print(f"alphago serve: WARNING: listening on {host}, not only this machine: anyone who can reach "
              f"port {port} can start searches here", flush=True)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    print(f"alphago serve: {', '.join(e.name for e in engines)} at http://{shown}:{port}/ (Ctrl-C stops)", flush=True)
    uvicorn.Server(uvicorn_config(app, host, port, limits)).run()
    return 0


def uvicorn_config(app: Starlette, host: str, port: int, limits: Limits):
    """The server's settings: frames a few times over the protocol's bound still reach it and get an
    error reply; far larger ones make the transport close that one connection (code 1009)."""
    import uvicorn
    return uvicorn.Config(app, host=host, port=port, log_level="warning",
                          ws_max_size=WS_FRAME_FACTOR * limits.max_message_bytes)
