"""What a running pull writes as it goes, beside its checkpoint parts: the raw log (every
page's bytes, framed, in one file for the whole pull) and the evidence Parquet file, encoded
while the pull runs. :mod:`ircli.evidence.custody` says how they become evidence, and
the raw archive's format.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import pyarrow as pa

CHUNK = 1 << 20
ROW_GROUP = 65_536
FREE_TEXT = frozenset({"prompt_text", "user_agent"})
RAW_LOG = "raw.log"


def write_framed(write: Callable[[bytes], object], raw: bytes | Path) -> int:
    """Write one raw page (or a whole raw file) in the raw archive's framing (its size in
    decimal, a newline, the bytes, a newline); returns its size."""
    if isinstance(raw, Path):
        size = raw.stat().st_size
        write(b"%d\n" % size)
        with raw.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                write(chunk)
    else:
        size = len(raw)
        write(b"%d\n" % size)
        write(raw)
    write(b"\n")
    return size


class RawLog:
    """The raw archive of a pull, one file across all its parts: appended page by page,
    flushed to disk at each checkpoint, cut back to the last checkpoint's length when a
    pull resumes. Its sha256 is computed as the bytes go by, so the finished archive is
    neither copied nor read again."""

    def __init__(self, folder: Path, length: int) -> None:
        from ircli.errors import IntegrityError

        self.path = folder / RAW_LOG
        self._digest = hashlib.sha256()
        self._handle: BinaryIO = self.path.open("ab")
        size = self._handle.tell()
        if size < length:
            self._handle.close()
            raise IntegrityError(
                f"the raw log of this pull holds {size} bytes, its last checkpoint {length}",
                hint="the pull's working files were changed; start the pull again",
            )
        if size > length:
            self._handle.truncate(length)  # written after the last checkpoint: not kept
            self._handle.seek(length)
        with self.path.open("rb") as handle:
            while chunk := handle.read(min(CHUNK, length - handle.tell())):
                self._digest.update(chunk)

    def add(self, raw: bytes | Path) -> int:
        """Frame one raw page (or a whole raw file); returns its size."""
        return write_framed(self._write, raw)

    def _write(self, data: bytes) -> None:
        self._handle.write(data)
        self._digest.update(data)

    def sync(self) -> int:
        """Flush to disk; the length so far (journaled by the checkpoint)."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        return self._handle.tell()

    def close(self) -> str:
        """Close; the sha256 of what was written."""
        self._handle.close()
        return self._digest.hexdigest()


class StreamedRows:
    """The evidence Parquet, encoded while an uninterrupted pull runs (so it is encoded
    once, overlapping the network). After any interruption it is rebuilt from the parts
    with the same batches, so it comes out the same, byte for byte.

    Row groups are encoded in a thread (Arrow releases the GIL), one at a time and in
    order, while the pull goes on normalising: at most one group waits while another is
    encoded, so memory stays bounded by three row groups."""

    def __init__(self, folder: Path, schema: pa.Schema) -> None:
        import pyarrow.parquet as pq

        self.path = folder / "assembled" / "rows.parquet"
        self.path.parent.mkdir(exist_ok=True)
        # No dictionary pages: most columns are near-unique (ids, prompts, hashes), so the
        # writer would build a dictionary and throw it away; snappy still shrinks repeats.
        # Min/max statistics let a reader skip row groups by time, account or org; on
        # free text (prompts, user agents) they only cost a string comparison per value.
        stats = [name for name in schema.names if name not in FREE_TEXT]
        self._writer = pq.ParquetWriter(
            self.path, schema, use_dictionary=False, write_statistics=stats
        )
        self._buffer: list[pa.RecordBatch] = []
        self._buffered = 0
        self._groups: queue.Queue[pa.Table | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._encoder = threading.Thread(target=self._encode, name="evidence-parquet", daemon=True)
        self._encoder.start()

    def add(self, batch: pa.RecordBatch) -> None:
        """Append rows; a row group is written every ``ROW_GROUP`` rows."""
        self._buffer.append(batch)
        self._buffered += batch.num_rows
        if self._buffered >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        self._raise()
        if self._buffer:
            self._groups.put(pa.Table.from_batches(self._buffer))
            self._buffer, self._buffered = [], 0

    def _encode(self) -> None:
        while (table := self._groups.get()) is not None:
            if self._error is None:
                try:
                    self._writer.write_table(table)
                except BaseException as exc:  # handed to the pull at its next row group
                    self._error = exc

    def _stop(self) -> None:
        if self._encoder.is_alive():
            self._groups.put(None)
            self._encoder.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def close(self) -> Path:
        """Finish the file."""
        self._flush()
        self._stop()
        self._raise()
        self._writer.close()
        return self.path

    def abandon(self) -> None:
        """Stop writing; the half-file is removed when the pull resumes."""
        self._buffer = []
        self._stop()
        with contextlib.suppress(Exception):
            self._writer.close()
