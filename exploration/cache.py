"""Every training and every scored trial, stored under its content hash in `RUN/cache/`.

A key hashes everything the result depends on (model bytes, data bytes,
block sizes, budget, seed, and for a scored trial the config, device and
clock), plus `VERSION`, so a rerun, a resumed run or a widened search finds
what it has already computed, and a changed model or data set finds nothing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ercc.compiler.output import write_atomically, write_text_atomically

VERSION = "explore-2"  # bump when a training schedule or a score changes meaning


def key(*parts) -> str:
    h = hashlib.sha256(VERSION.encode())
    for part in parts:
        data = part if isinstance(part, bytes) else json.dumps(part, sort_keys=True).encode()
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:32]


class Cache:
    def __init__(self, folder: Path):
        self.folder = folder

    def model(self, k: str) -> bytes | None:
        path = self.folder / f"{k}.onnx"
        return path.read_bytes() if path.is_file() else None

    def put_model(self, k: str, data: bytes) -> None:
        write_atomically(self.folder / f"{k}.onnx", lambda tmp: tmp.write_bytes(data))

    def result(self, k: str) -> dict | None:
        path = self.folder / f"{k}.json"
        try:
            return json.loads(path.read_text()) if path.is_file() else None
        except json.JSONDecodeError:
            return None  # a foreign or damaged entry is recomputed, never trusted

    def put_result(self, k: str, value: dict) -> None:
        write_text_atomically(self.folder / f"{k}.json", json.dumps(value, sort_keys=True))
