"""The run directory's game store: every finished game lands in a shard on disk before
it is acknowledged, so a crash loses only games still being played."""
from __future__ import annotations

import re
from pathlib import Path

from .records import GameRecord, read_shard, write_shard

_SHARD = re.compile(r"^shard_(\d{8})\.npz$")


class ShardStore:
    def __init__(self, directory: str | Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        # shards moved aside (NAME.bad) keep their index: a new shard never takes a lost one's name
        self.next_index = max((int(m.group(1)) for p in self.dir.iterdir()
                               if (m := _SHARD.match(p.name.split(".bad")[0]))), default=-1) + 1

    def write(self, games: list[GameRecord]) -> Path:
        """Persist games as the next shard (atomic). Returns its path."""
        path = self.dir / f"shard_{self.next_index:08d}.npz"
        write_shard(path, games)
        self.next_index += 1
        return path

    def shards(self) -> list[Path]:
        return sorted(p for p in self.dir.iterdir() if _SHARD.match(p.name))

    def read_all(self) -> list[GameRecord]:
        return [g for p in self.shards() for g in read_shard(p)]

    @staticmethod
    def index(path: Path) -> int:
        return int(_SHARD.match(Path(path).name).group(1))

    def read_readable(self, log=None) -> list[tuple[Path, list[GameRecord]]]:
        """(shard, its games) for every shard that reads; an unreadable one (bit rot, a copy cut
        short, a foreign file) is moved aside to NAME.bad (never deleted: it may be recoverable)
        and reported through `log`, and the rest go on. Its index is not reused."""
        out = []
        for p in self.shards():
            try:
                out.append((p, read_shard(p)))
            except ValueError as exc:
                bad = p.with_name(p.name + ".bad")
                k = 1
                while bad.exists():
                    bad, k = p.with_name(f"{p.name}.bad{k}"), k + 1
                p.replace(bad)
                if log is not None:
                    log(f"unreadable shard moved aside to {bad.name}; its games are lost to this run: {exc}")
        return out
