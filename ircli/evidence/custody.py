"""Chain of custody on disk: checkpoint parts while pulling, content-addressed files after.

While a pull runs, each checkpoint's worth of work is written to two *part* files in
the pull's working folder: normalised rows (Arrow IPC, read back only to rebuild the
Parquet file after an interruption) and quarantined records (JSONL); raw pages (framed
bytes, see below) go to one *raw log* for the whole pull, whose length each checkpoint
journals. A part, and the raw log up to that length, count only once the journal names
them. When the pull finishes, the three files are named by their sha256 under
``<store>.files/evidence/`` (the raw log is linked there, not copied); an existing file
of that name is never rewritten (same name, same bytes) and every file is made read-only.

Raw archive format ("ircli raw pages v1"): for each page, its length in decimal ASCII,
``\\n``, the page's bytes exactly as received, ``\\n``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ircli.evidence.archive import CHUNK, RAW_LOG, RawLog, StreamedRows, write_framed

if TYPE_CHECKING:
    import pyarrow as pa

SPILL_ROWS = 16_384
KINDS = {"parquet": ".parquet", "raw": ".raw", "quarantine": ".quarantine.jsonl"}
PART_KINDS = {"rows": ".arrow", "raw": ".raw", "quarantine": ".quarantine.jsonl"}


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_file(path: Path) -> None:
    """Flush a file to disk so a journaled checkpoint never names lost bytes."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def private_dir(root: Path, path: Path) -> Path:
    """Create ``path`` (inside ``root``) and every folder between them owner-only: evidence
    holds prompts and account data."""
    between = [root / p for p in reversed(path.relative_to(root).parents[:-1])]
    for folder in [root, *between, path]:
        if not folder.is_dir():
            folder.mkdir(mode=0o700, exist_ok=True)
    return path


@dataclass
class PartSummary:
    """What one checkpoint part holds."""

    index: int
    records: int
    quarantined: int
    out_of_scope: int
    pages: int
    raw_bytes: int
    raw_end: int | None = None
    """Length of the pull's raw log once this part is in it (``None``: the part has a raw
    file of its own, as parts written by earlier versions of ircli do)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (journaled in the checkpoint)."""
        out = {
            "part": self.index,
            "records": self.records,
            "quarantined": self.quarantined,
            "out_of_scope": self.out_of_scope,
            "pages": self.pages,
            "raw_bytes": self.raw_bytes,
        }
        if self.raw_end is not None:
            out["raw_end"] = self.raw_end
        return out


class Part:
    """The three files of one checkpoint, written as pages arrive."""

    def __init__(
        self, folder: Path, index: int, schema: pa.Schema, raw_log: RawLog | None = None
    ) -> None:
        import pyarrow as pa

        self.folder = folder
        self.index = index
        self.summary = PartSummary(index, 0, 0, 0, 0, 0)
        self._raw_log = raw_log
        self._kinds = [k for k in PART_KINDS if k != "raw" or raw_log is None]
        # Arrow writes each buffer and its padding separately: tens of small writes per
        # page, each a system call, unless they are gathered first.
        self._rows_file = pa.BufferedOutputStream(pa.OSFile(str(self.path("rows")), "wb"), CHUNK)
        self._rows: Any = pa.ipc.new_file(self._rows_file, schema)
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._raw: BinaryIO | None = None if raw_log else self.path("raw").open("wb")
        self._quarantine: BinaryIO = self.path("quarantine").open("wb")

    def path(self, kind: str) -> Path:
        """Where this part keeps ``kind`` (rows, raw, quarantine)."""
        return self.folder / f"part-{self.index:05d}{PART_KINDS[kind]}"

    def add_raw(self, raw: bytes | Path) -> None:
        """Frame one raw page (or a whole raw file) into the raw archive."""
        self.summary.pages += 1
        if self._raw is None:
            assert self._raw_log is not None
            self.summary.raw_bytes += self._raw_log.add(raw)
        else:
            self.summary.raw_bytes += write_framed(self._raw.write, raw)

    def add_rows(self, batch: pa.RecordBatch) -> None:
        """Append normalised rows (held until ``SPILL_ROWS`` of them, then written at once:
        one call into Arrow instead of one per page; they reach disk by :meth:`close`)."""
        if batch.num_rows:
            self._pending.append(batch)
            self._pending_rows += batch.num_rows
            self.summary.records += batch.num_rows
            if self._pending_rows >= SPILL_ROWS:
                self._spill()

    def _spill(self) -> None:
        import pyarrow as pa

        if self._pending:
            # Each batch stays a batch of its own in the file (the pages the pull kept).
            self._rows.write_table(pa.Table.from_batches(self._pending))
            self._pending, self._pending_rows = [], 0

    def add_quarantined(self, reason: str, raw: bytes, page: int) -> None:
        """Keep one bad record with its reason and its exact bytes."""
        entry: dict[str, Any] = {"reason": reason, "page": page}
        with contextlib.suppress(UnicodeDecodeError):
            entry["raw"] = raw.decode("utf-8")
        entry["raw_b64"] = base64.b64encode(raw).decode("ascii")
        self._quarantine.write(json.dumps(entry, ensure_ascii=True).encode() + b"\n")
        self.summary.quarantined += 1

    def close(self) -> PartSummary:
        """Close and flush the part to disk."""
        self._spill()
        self._rows.close()
        self._rows_file.close()
        if self._raw is not None:
            self._raw.close()
        self._quarantine.close()
        for kind in self._kinds:
            fsync_file(self.path(kind))
        if self._raw_log is not None:
            self.summary.raw_end = self._raw_log.sync()
        return self.summary

    def abandon(self) -> None:
        """Close without keeping anything (the pull failed before its checkpoint)."""
        # What went into the raw log is cut off when the pull resumes.
        handles = (self._rows, self._rows_file, self._raw, self._quarantine)
        for handle in handles:
            # Best effort: the files are removed next.
            with contextlib.suppress(Exception):
                if handle is not None:
                    handle.close()
        for kind in self._kinds:
            self.path(kind).unlink(missing_ok=True)


@dataclass(frozen=True)
class StoredFile:
    """One content-addressed evidence file."""

    kind: str
    sha256: str
    bytes: int
    relpath: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (journaled)."""
        return {"sha256": self.sha256, "bytes": self.bytes, "path": self.relpath}


def evidence_path(files_dir: Path, kind: str, sha256: str) -> Path:
    """Where the content-addressed file of ``kind`` with this hash lives."""
    return files_dir / "evidence" / sha256[:2] / f"{sha256}{KINDS[kind]}"


def assemble(
    folder: Path,
    parts: int,
    files_dir: Path,
    schema: pa.Schema,
    rows: Path | None = None,
    raw_sha256: str | None = None,
) -> dict[str, StoredFile]:
    """Concatenate parts ``0..parts-1`` into the three content-addressed files (``rows``:
    the Parquet file already streamed by an uninterrupted pull; ``raw_sha256``: the raw
    log's hash, when the pull computed it while writing)."""
    import pyarrow as pa

    tmp = folder / "assembled"
    tmp.mkdir(exist_ok=True)
    if rows is None:
        streamed = StreamedRows(folder, schema)
        try:
            for index in range(parts):
                # Batch by batch (the pages the pull kept), read into memory rather than
                # mapped, as a buffered row group outlives its part's file handle.
                source = pa.OSFile(str(folder / f"part-{index:05d}.arrow"))
                try:
                    reader = pa.ipc.open_file(source)
                    for batch_index in range(reader.num_record_batches):
                        streamed.add(reader.get_batch(batch_index))
                finally:
                    source.close()
        except BaseException:
            streamed.abandon()
            raise
        rows = streamed.close()
    stored = {"parquet": _keep(rows, "parquet", files_dir)}
    log = folder / RAW_LOG
    if log.exists():
        stored["raw"] = _keep_linked(log, "raw", files_dir, raw_sha256)
    for kind in ("quarantine",) if log.exists() else ("raw", "quarantine"):
        joined = tmp / f"joined{KINDS[kind]}"
        digest = hashlib.sha256()
        with joined.open("wb") as out:
            for index in range(parts):
                with (folder / f"part-{index:05d}{PART_KINDS[kind]}").open("rb") as handle:
                    # Hashed on the way through: the joined file is not read a second time.
                    while chunk := handle.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        stored[kind] = _keep(joined, kind, files_dir, digest.hexdigest())
    return stored


def _destination(
    path: Path, kind: str, files_dir: Path, digest: str | None
) -> tuple[str, int, Path]:
    """Flush ``path`` and name its content-addressed place: ``(sha256, size, target)``."""
    fsync_file(path)
    if digest is None:
        digest = sha256_file(path)
    target = evidence_path(files_dir, kind, digest)
    private_dir(files_dir, target.parent)
    return digest, path.stat().st_size, target


def _keep(path: Path, kind: str, files_dir: Path, digest: str | None = None) -> StoredFile:
    digest, size, target = _destination(path, kind, files_dir, digest)
    if target.exists():
        path.unlink()  # same hash, same bytes: the stored copy stays untouched
    else:
        path.chmod(0o400)
        os.replace(path, target)
    return StoredFile(kind, digest, size, str(target.relative_to(files_dir)))


def _keep_linked(path: Path, kind: str, files_dir: Path, digest: str | None) -> StoredFile:
    """Like :func:`_keep`, but the working file stays (a checkpointed pull may need it
    again until the journal says it is finished): the stored file is a second name for it."""
    digest, size, target = _destination(path, kind, files_dir, digest)
    if not target.exists():
        path.chmod(0o400)  # nothing writes to it any more: the pull's pages are all in
        try:
            os.link(path, target)
        except FileExistsError:
            pass  # same hash, same bytes
        except OSError:  # a file system without hard links: copy, then move into place
            tmp = path.with_name(f"{path.name}.copy")
            shutil.copyfile(path, tmp)
            tmp.chmod(0o400)
            os.replace(tmp, target)
    return StoredFile(kind, digest, size, str(target.relative_to(files_dir)))


def read_quarantine(path: Path) -> list[dict[str, Any]]:
    """The quarantined records of an evidence item (reason, page, raw bytes)."""
    out = []
    with path.open("rb") as handle:
        for line in handle:
            entry = json.loads(line)
            entry["raw_bytes"] = base64.b64decode(entry["raw_b64"])
            out.append(entry)
    return out


def read_rows(path: Path) -> pa.Table:
    """The normalised rows of an evidence item."""
    import pyarrow.parquet as pq

    return pq.read_table(path)


__all__ = [
    "Part",
    "PartSummary",
    "StoredFile",
    "assemble",
    "evidence_path",
    "sha256_file",
]
