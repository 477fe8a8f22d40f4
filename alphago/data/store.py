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
        self.next_index = max((int(m.group(1)) for p in self.dir.iterdir()
                               if (m := _SHARD.match(p.name))), default=-1) + 1

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
