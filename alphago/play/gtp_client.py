"""A GTP client for engine subprocesses: commands with timeouts, answers checked, failures typed
(refused, died, timeout, garbage, could not start). Used by the arena (play/arena.py)."""
from __future__ import annotations

import collections
import queue
import re
import subprocess
import threading
import time


class GtpClientError(Exception):
    """The engine did not give a usable answer to a command."""


class GtpRefused(GtpClientError):
    """The engine answered '? message' (it is still usable)."""


class GtpDied(GtpClientError):
    """The engine's process ended or closed its pipes."""


class GtpTimeout(GtpClientError):
    """No complete answer in time; the engine is killed (its output would be out of step)."""


class GtpGarbage(GtpClientError):
    """An answer that is not GTP ('=' or '?', the command's id, ..., a blank line); the
    engine is killed (its output would be out of step)."""


class EngineStartError(GtpClientError):
    """The engine's program could not be started at all (not found, not executable)."""


_RESPONSE = re.compile(r"^([=?])(\d*)(?:\s+(.*))?$")


class GtpClient:
    """One GTP engine in a subprocess. send() writes "ID command" and reads the answer up to
    the blank line that ends it, checking the id; stderr is drained and its last lines are
    kept for error messages. Never raises anything but GtpClientError subclasses."""

    def __init__(self, argv, name: str = "engine", timeout: float = 120.0, cwd: str | None = None):
        self.argv = [str(x) for x in argv]
        self.name = name
        self.timeout = timeout
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                         errors="replace", bufsize=1, cwd=cwd)
        except OSError as exc:
            raise EngineStartError(f"{name}: cannot start {self.argv[0]!r}: {exc}") from None
        self.alive = True
        self._id = 0
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        threading.Thread(target=self._pump, args=(self.proc.stdout, self._lines.put, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self._stderr.append, False),
                         daemon=True).start()

    @staticmethod
    def _pump(stream, put, mark_end: bool) -> None:
        try:
            for line in stream:
                put(line)
        except (OSError, ValueError):
            pass
        finally:
            if mark_end:  # stdout: None marks the end of the engine's output
                put(None)

    def stderr_tail(self, lines: int = 5) -> str:
        tail = [s.rstrip() for s in list(self._stderr)[-lines:] if s.strip()]
        return (" | stderr: " + " / ".join(tail)) if tail else ""

    def send(self, command: str, timeout: float | None = None) -> str:
        """The answer's text (without '= '); raises GtpRefused on '?', GtpDied, GtpTimeout,
        GtpGarbage."""
        if not self.alive:
            raise GtpDied(f"{self.name} is not running")
        self._id += 1
        ident = self._id
        try:
            self.proc.stdin.write(f"{ident} {command}\n")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            self._raise_died(f"{self.name} closed its input before {command!r}")
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        head: re.Match | None = None
        body: list[str] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise GtpTimeout(f"{self.name} gave no answer to {command!r} within "
                                 f"{self.timeout if timeout is None else timeout:g} s")
            try:
                line = self._lines.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if line is None:
                self._raise_died(f"{self.name} died during {command!r}")
            line = line.rstrip("\r\n").replace("\r", "")
            if head is None:
                if not line.strip():
                    continue  # stray blank lines between answers are harmless
                head = _RESPONSE.match(line)
                if head is None or (head.group(2) and int(head.group(2)) != ident):
                    self.kill()
                    raise GtpGarbage(f"{self.name} answered {line[:80]!r} to {command!r}")
                body.append(head.group(3) or "")
            elif not line.strip():
                break
            else:
                body.append(line)
        text = "\n".join(body).strip()
        if head.group(1) == "?":
            raise GtpRefused(text or "?")
        return text

    def _raise_died(self, what: str) -> None:
        self.alive = False
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        time.sleep(0.05)  # let the stderr pump catch the last words
        raise GtpDied(f"{what} (exit code {code}){self.stderr_tail()}")

    def kill(self) -> None:
        self.alive = False
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        """quit politely, then kill if need be."""
        if self.alive:
            try:
                self.send("quit", timeout=10)
            except GtpClientError:
                pass
        self.alive = False
        try:
            self.proc.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
