"""Which raw meeting files a build should index, without parsing them all.

The raw store keeps every version of a meeting (append-only, one file per content
hash). A build indexes the newest version of each (source_system, source_id). Reading
that key from the first bytes of each file — the record's own header fields come
first in the stored JSON — lets an incremental build find what changed in a corpus
of millions of statements in about a second, instead of parsing every file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from crawlers.rawstore import RawStore, RawStoreError

_PEEK_BYTES = 4096
_STRING = r'"((?:[^"\\]|\\.)*)"'
_HEADER = re.compile(
    rf'"source_system":{_STRING},"source_id":{_STRING},"fetched_at":(null|{_STRING})'.encode()
)


@dataclass(frozen=True)
class RawFile:
    path: Path
    content_hash: str
    assembly_code: str
    source_system: str
    source_id: str
    rank: tuple  # newest wins: (fetched_at timestamp, file mtime, file name), as RawStore.latest

    @property
    def key(self) -> tuple[str, str]:
        return (self.source_system, self.source_id)


def _header(path: Path) -> tuple[str, str, float]:
    with open(path, "rb") as fh:
        head = fh.read(_PEEK_BYTES)
    match = _HEADER.search(head)
    if match is None:  # an unusual layout or a very long id: read the whole record
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            system, source_id, fetched = data["source_system"], data["source_id"], data.get("fetched_at")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RawStoreError(f"{path}: {exc}") from exc
    else:
        system = json.loads(b'"' + match.group(1) + b'"')
        source_id = json.loads(b'"' + match.group(2) + b'"')
        fetched = None if match.group(3) == b"null" else json.loads(b'"' + match.group(4) + b'"')
    stamp = datetime.fromisoformat(fetched).timestamp() if fetched else 0.0
    return system, source_id, stamp


def latest_meetings(store: RawStore) -> list[RawFile]:
    """The newest file of each meeting, in path order (assembly, then content hash)."""
    best: dict[tuple[str, str], RawFile] = {}
    for path in store.paths("meeting"):
        system, source_id, fetched = _header(path)
        item = RawFile(path, path.stem, path.parent.name, system, source_id,
                       (fetched, os.stat(path).st_mtime_ns, path.name))
        if item.key not in best or item.rank > best[item.key].rank:
            best[item.key] = item
    return sorted(best.values(), key=lambda f: str(f.path))
