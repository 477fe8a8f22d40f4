"""The page's messages to the server (`alphago serve`): JSON text frames, one intent each.

Every frame is checked here before anything acts on it: it must be a JSON object of at most
`Limits.max_message_bytes`, with a known "type" and exactly that type's fields, each of the right
type and within bounds. Anything else is a ProtocolError whose message goes back to the page as
{"type": "error", "message": ...}; the connection and the game go on unchanged.

Client -> server (fields marked ? may be left out or null):
  {"type": "new", "engine"?: str, "color"?: "black"|"white", "komi"?: float, "handicap"?: int,
   "sims"?: int, "seconds"?: float}         a new game (seconds: time per move instead of sims)
  {"type": "play", "vertex": "C3"}           a stone for the human (GTP vertex, or "pass")
  {"type": "pass"} {"type": "resign"} {"type": "undo"}
  {"type": "goto", "position": int}          view the position after that many moves (review)
  {"type": "resume"}                         play on from the viewed position (later moves dropped)
  {"type": "analyse", "on": bool}            analyse the human's positions too
  {"type": "save_sgf"}                       answered by {"type": "sgf", "filename", "sgf"}
  {"type": "load_sgf", "sgf": str}           review a game (same board size as the engine)
Server -> client: "hello" (engines, limits), "state" (the whole game), "thinking" (a search starts
or ends; "move": the engine's), "analysis" (one search report), "sgf", "error".
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass


class ProtocolError(ValueError):
    """A frame the server refuses; the message is for the person at the page."""


@dataclass(frozen=True)
class Limits:
    """What one page may ask of the server (bounds on every search it can start)."""
    max_sims: int = 1600               # simulations per move or analysis
    max_seconds: float = 30.0          # time per move
    max_message_bytes: int = 256 * 1024  # a frame (an SGF upload is the largest)


@dataclass(frozen=True)
class NewGame:
    engine: str | None = None
    color: str = "black"          # the human's
    komi: float | None = None     # None: the net's training komi
    handicap: int = 0
    sims: int | None = None       # None: the server's default
    seconds: float | None = None  # time per move; None: by simulations


@dataclass(frozen=True)
class Play:
    vertex: str


@dataclass(frozen=True)
class Goto:
    position: int


@dataclass(frozen=True)
class Analyse:
    on: bool


@dataclass(frozen=True)
class LoadSgf:
    sgf: str


@dataclass(frozen=True)
class Simple:
    """An intent without arguments: pass, resign, undo, resume, save_sgf."""
    type: str


Intent = NewGame | Play | Goto | Analyse | LoadSgf | Simple

SIMPLE = ("pass", "resign", "undo", "resume", "save_sgf")
FIELDS = {"new": {"engine", "color", "komi", "handicap", "sims", "seconds"}, "play": {"vertex"},
          "goto": {"position"}, "analyse": {"on"}, "load_sgf": {"sgf"}, **{t: set() for t in SIMPLE}}


def _int(msg: dict, key: str, lo: int, hi: int) -> int | None:
    v = msg.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int):  # True is an int to Python, not to us
        raise ProtocolError(f"{key} must be a whole number")
    if not lo <= v <= hi:
        raise ProtocolError(f"{key} must be between {lo} and {hi}, got {v}")
    return v


def _float(msg: dict, key: str, lo: float, hi: float) -> float | None:
    v = msg.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ProtocolError(f"{key} must be a number")
    if not lo <= v <= hi:
        raise ProtocolError(f"{key} must be between {lo:g} and {hi:g}, got {v:g}")
    return float(v)


def _str(msg: dict, key: str, max_len: int) -> str | None:
    v = msg.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise ProtocolError(f"{key} must be a string")
    if len(v) > max_len:
        raise ProtocolError(f"{key} is too long")
    return v


def parse_intent(frame: str | bytes, limits: Limits) -> Intent:
    """One frame -> the intent it carries; ProtocolError naming what is wrong."""
    size = len(frame.encode() if isinstance(frame, str) else frame)
    if size > limits.max_message_bytes:
        raise ProtocolError(f"message too large ({size} bytes; at most {limits.max_message_bytes})")
    try:
        msg = json.loads(frame)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"not JSON: {exc}") from None
    if not isinstance(msg, dict):
        raise ProtocolError("a message is a JSON object with a \"type\"")
    kind = msg.get("type")
    if not isinstance(kind, str) or kind not in FIELDS:
        raise ProtocolError(f"unknown message type {kind!r} (known: {', '.join(sorted(FIELDS))})")
    extra = set(msg) - FIELDS[kind] - {"type"}
    if extra:
        raise ProtocolError(f"{kind}: unknown field(s) {', '.join(sorted(extra))}")
    if kind in SIMPLE:
        return Simple(kind)
    if kind == "play":
        vertex = _str(msg, "vertex", 8)
        if not vertex:
            raise ProtocolError("play needs a vertex, like \"C3\" or \"pass\"")
        return Play(vertex)
    if kind == "goto":
        position = _int(msg, "position", 0, 10_000)
        if position is None:
            raise ProtocolError("goto needs a position (a move number)")
        return Goto(position)
    if kind == "analyse":
        if not isinstance(msg.get("on"), bool):
            raise ProtocolError("analyse needs \"on\": true or false")
        return Analyse(msg["on"])
    if kind == "load_sgf":
        sgf = _str(msg, "sgf", limits.max_message_bytes)
        if not sgf:
            raise ProtocolError("load_sgf needs the SGF text")
        return LoadSgf(sgf)
    color = _str(msg, "color", 8) or "black"
    if color not in ("black", "white"):
        raise ProtocolError(f"color must be \"black\" or \"white\", got {color!r}")
    if msg.get("sims") is not None and msg.get("seconds") is not None:
        raise ProtocolError("give sims or seconds per move, not both")
    return NewGame(engine=_str(msg, "engine", 200), color=color, komi=_float(msg, "komi", -1000, 1000),
                   handicap=_int(msg, "handicap", 0, 9) or 0, sims=_int(msg, "sims", 1, limits.max_sims),
                   seconds=_float(msg, "seconds", 0.05, limits.max_seconds))
