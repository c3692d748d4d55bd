"""Append-only, content-addressed store of raw records.

Layout: ``<root>/<record_type>/<assembly_code>/<sha256>.json``. A record's file
name is its content hash, so writing the same content twice is a no-op and an
updated version of the same source (a 速報版 replaced by the final minutes) is
stored beside the old one; :func:`RawStore.latest` picks the newest version per
``source_id``. Files are written to a temporary name and renamed, so a reader
never sees half a record, and nothing is ever overwritten or deleted.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from crawlers.records import MeetingRecord, MemberRecord, PostRecord, parse_record

Record = MeetingRecord | MemberRecord | PostRecord


class RawStoreError(Exception):
    """A stored file could not be read back as a record; names the file."""


@dataclass(frozen=True)
class PutResult:
    path: Path
    content_hash: str
    created: bool


class RawStore:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def _path(self, record: Record, content_hash: str) -> Path:
        return self.root / record.record_type / record.assembly_code / f"{content_hash}.json"

    def put(self, record: Record) -> PutResult:
        digest = record.content_hash()
        path = self._path(record, digest)
        if path.exists():
            return PutResult(path, digest, created=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = record.model_dump_json(indent=None)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            # link() fails if another writer stored the same content meanwhile,
            # which is the idempotent outcome we want anyway.
            try:
                os.link(tmp, path)
                created = True
            except FileExistsError:
                created = False
        finally:
            os.unlink(tmp)
        return PutResult(path, digest, created=created)

    def paths(self, record_type: str | None = None) -> Iterator[Path]:
        types = [record_type] if record_type else ["meeting", "member", "post"]
        for rtype in types:
            base = self.root / rtype
            if base.is_dir():
                yield from sorted(p for p in base.glob("*/*.json") if not p.name.startswith(".tmp-"))

    def read(self, path: Path) -> Record:
        try:
            return parse_record(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise RawStoreError(f"{path}: {exc}") from exc

    def __iter__(self) -> Iterator[Record]:
        for path in self.paths():
            yield self.read(path)

    def latest(self, record_type: str = "meeting") -> dict[tuple[str, str], Record]:
        """Newest version of each (source_system, source_id), by fetch time then file time."""
        best: dict[tuple[str, str], tuple[tuple, Record]] = {}
        for path in self.paths(record_type):
            record = self.read(path)
            key = (record.source_system, record.source_id)
            fetched = record.fetched_at.timestamp() if record.fetched_at else 0.0
            rank = (fetched, path.stat().st_mtime_ns, path.name)
            if key not in best or rank > best[key][0]:
                best[key] = (rank, record)
        return {k: v[1] for k, v in best.items()}

    def source_ids(self, source_system: str, assembly_code: str | None = None) -> set[str]:
        """Source ids already stored, for incremental crawls."""
        ids: set[str] = set()
        for path in self.paths("meeting"):
            if assembly_code and path.parent.name != assembly_code:
                continue
            record = self.read(path)
            if record.source_system == source_system:
                ids.add(record.source_id)
        return ids
