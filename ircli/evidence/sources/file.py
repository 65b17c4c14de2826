"""The ``file`` source: JSONL, CSV and Parquet exports, optionally gzip-compressed.

Configured in ``ircli.toml``::

    [sources.export]
    type = "file"
    path = "exports/requests-*.jsonl.gz"   # a glob, relative to the config file
    format = "auto"                         # jsonl, csv, parquet; auto: by suffix

Parquet and CSV are read with DuckDB in batches. JSONL is read line by line here, not by
DuckDB: DuckDB's JSON reader either stops at the first bad line or skips bad lines
without saying which, and every bad line must reach quarantine with its bytes and its
reason. CSV lines DuckDB rejects are fetched from its ``reject_errors`` table.
"""

from __future__ import annotations

import glob
import gzip
import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import IO, Any, Literal

from ircli.errors import ConfigError, NotFoundError
from ircli.evidence.arrowjson import RecordReader
from ircli.evidence.sources import (
    Page,
    Query,
    SourceEnv,
    SourceSettings,
    build_mapping,
    parse_settings,
)

PAGE_LINES = 5_000
PAGE_BYTES = 8 * 1024 * 1024


class FileSettings(SourceSettings):
    """``[sources.NAME]`` for ``type = "file"``."""

    path: str | list[str]
    format: Literal["auto", "jsonl", "csv", "parquet"] = "auto"


class FileSource:
    """Reads log exports from disk."""

    kind = "file"

    def __init__(self, name: str, settings: FileSettings, env: SourceEnv) -> None:
        self.name = name
        self.settings = settings
        self.base = env.base_dir or Path.cwd()
        self.mapping = build_mapping(
            name, settings, strings=settings.format == "csv" or _is_csv(settings.path)
        )
        self.checkpoint_records = settings.checkpoint_records
        self._native: RecordReader | None = None

    @classmethod
    def from_config(cls, name: str, table: dict[str, Any], env: SourceEnv) -> FileSource:
        """Build from ``[sources.NAME]``."""
        return cls(name, parse_settings(FileSettings, name, table), env)

    def files(self) -> list[Path]:
        """The files the configured path or glob names, in a stable order."""
        patterns = (
            [self.settings.path] if isinstance(self.settings.path, str) else self.settings.path
        )
        found: list[Path] = []
        for pattern in patterns:
            full = Path(pattern).expanduser()
            if not full.is_absolute():
                full = self.base / full
            matches = sorted(glob.glob(str(full)))
            if not matches:
                raise NotFoundError(
                    f"source '{self.name}': no file matches {pattern}",
                    hint=f"check [sources.{self.name}] path in ircli.toml",
                )
            found.extend(Path(m) for m in matches)
        return found

    def describe(self, query: Query) -> dict[str, Any]:
        """The files read (with sizes) and their format."""
        return {
            "files": [{"path": str(p), "bytes": p.stat().st_size} for p in self.files()],
            "format": self.settings.format,
        }

    def close(self) -> None:
        """Nothing to release."""

    def pages(self, query: Query, state: dict[str, Any] | None) -> Iterator[Page]:
        """Pages from ``state`` (``{"file": i, "offset"|"row": n}``) to the end."""
        files = self.files()
        start = int((state or {}).get("file", 0))
        for index in range(start, len(files)):
            path = files[index]
            fmt = self._format(path)
            resume = state if state and index == start else None
            last = index == len(files) - 1
            if fmt == "jsonl":
                yield from self._jsonl(path, index, resume, last)
            else:
                yield from self._duckdb(path, fmt, index, resume, last)

    def _reader(self) -> RecordReader:
        if self._native is None:
            self._native = RecordReader(self.mapping)
        return self._native

    def _format(self, path: Path) -> str:
        if self.settings.format != "auto":
            return self.settings.format
        name = path.name.lower().removesuffix(".gz")
        for suffix, fmt in ((".parquet", "parquet"), (".csv", "csv"), (".jsonl", "jsonl")):
            if name.endswith(suffix):
                return fmt
        if name.endswith((".ndjson", ".json")):
            return "jsonl"
        raise ConfigError(
            f"source '{self.name}': cannot tell the format of {path.name}",
            hint='set format = "jsonl", "csv" or "parquet"',
        )

    def _jsonl(
        self, path: Path, index: int, state: dict[str, Any] | None, last: bool
    ) -> Iterator[Page]:
        offset = int((state or {}).get("offset", 0))
        with _open(path) as handle:
            _skip(handle, offset)
            while True:
                lines = _take(handle)
                if not lines:
                    break
                offset += sum(len(line) for line in lines)
                nxt = {"file": index, "offset": offset}
                body = b"".join(lines)
                count = sum(1 for line in lines if line.strip())
                columns = self._reader().lines(body, count)
                if columns is not None:
                    yield Page(body, [], nxt, columns=columns, slow=partial(parse_lines, lines))
                else:
                    page = parse_lines(lines)
                    page.raw, page.next_state = body, nxt
                    yield page
        yield Page(b"", [], None if last else {"file": index + 1})

    def _duckdb(
        self, path: Path, fmt: str, index: int, state: dict[str, Any] | None, last: bool
    ) -> Iterator[Page]:
        import duckdb

        row = int((state or {}).get("row", 0))
        con = duckdb.connect()
        try:
            if fmt == "parquet":
                sql = "SELECT * FROM read_parquet($path) OFFSET $row"
            else:
                sql = (
                    "SELECT * FROM read_csv($path, all_varchar = true, header = true, "
                    "store_rejects = true) OFFSET $row"
                )
            reader = con.sql(sql, params={"path": str(path), "row": row}).to_arrow_reader(
                PAGE_LINES
            )
            first = row == 0
            for batch in reader:
                row += batch.num_rows
                raw: bytes | Path = path if first else b""
                first = False
                # Typed columns go straight to the fast road; rows only if one is bad.
                yield Page(
                    raw,
                    [],
                    {"file": index, "row": row},
                    columns=batch.to_struct_array(),
                    slow=partial(_rows, batch),
                )
            if first:
                yield Page(path, [], {"file": index, "row": row})
            if fmt == "csv":
                rejects = con.execute(
                    "SELECT line, csv_line, error_message FROM reject_errors ORDER BY line"
                ).fetchall()
                if rejects:
                    bad = [
                        (f"bad CSV line {line}: {message}", str(text).encode())
                        for line, text, message in rejects
                    ]
                    yield Page(b"", [], {"file": index, "row": row}, None, bad)
        except duckdb.Error as exc:
            raise ConfigError(
                f"source '{self.name}': cannot read {path.name} as {fmt} ({exc})",
                hint="check the file and the source's format",
            ) from None
        finally:
            con.close()
        yield Page(b"", [], None if last else {"file": index + 1})


def parse_lines(lines: list[bytes]) -> Page:
    """JSON lines parsed one by one; the ones that cannot be parsed are rejected with why."""
    records: list[Any] = []
    raws: list[bytes] = []
    rejected: list[tuple[str, bytes]] = []
    for line in lines:
        raw = line.rstrip(b"\r\n")
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            rejected.append((f"invalid UTF-8 at byte {exc.start}", raw))
            continue
        try:
            records.append(json.loads(text))
        except ValueError as exc:
            rejected.append((f"bad JSON: {exc}", raw))
            continue
        raws.append(raw)
    return Page(b"", records, None, raws, rejected)


def _rows(batch: Any) -> Page:
    return Page(b"", batch.to_pylist(), None)


def _is_csv(path: str | list[str]) -> bool:
    paths = [path] if isinstance(path, str) else path
    return any(p.lower().removesuffix(".gz").endswith(".csv") for p in paths)


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _skip(handle: IO[bytes], offset: int) -> None:
    if offset == 0:
        return
    if handle.seekable() and not isinstance(handle, gzip.GzipFile):
        handle.seek(offset)
        return
    remaining = offset
    while remaining:
        chunk = handle.read(min(remaining, 1 << 20))
        if not chunk:
            break
        remaining -= len(chunk)


def _take(handle: IO[bytes]) -> list[bytes]:
    lines: list[bytes] = []
    size = 0
    for line in handle:
        lines.append(line)
        size += len(line)
        if len(lines) >= PAGE_LINES or size >= PAGE_BYTES:
            break
    return lines
