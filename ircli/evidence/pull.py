"""One evidence pull, checkpointed in the journal so that it survives any crash.

The journal carries the pull (types in :mod:`ircli.evidence.events`)::

    evidence.pull_started   pull id, source, query, the request as sent
    evidence.checkpoint     a part's counts and the source state to resume from (repeated)
    evidence.pull_failed    why it stopped (the pull stays open: re-run to resume)
    evidence.added          the finished evidence item: counts and the sha256 of the raw
                            pages, the normalised Parquet file and the quarantine file

Re-running the same pull (same incident, source and query) resumes the open one: the
parts its checkpoints name are kept, anything written after the last checkpoint is
discarded and fetched again. Records are never duplicated or lost, because a part's
files are on disk before the one journal event that names them and the state after them.
"""

from __future__ import annotations

import fcntl
import queue
import secrets
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ircli.core.events import Event
from ircli.errors import IrcliError, RefusedError
from ircli.evidence.events import EVENT_TYPES
from ircli.exitcodes import ExitCode

if TYPE_CHECKING:
    import pyarrow as pa

    from ircli.evidence.archive import RawLog, StreamedRows
    from ircli.evidence.custody import Part
    from ircli.evidence.sources import Page, Query, Source
    from ircli.store import Store

PART_RAW_BYTES = 256 * 1024 * 1024
T = TypeVar("T")

Progress = Callable[[int, int], None]
"""Called after each page with (records kept so far, pages so far)."""


class PullCancelled(IrcliError):
    """The pull was cancelled; what it fetched is checkpointed and a re-run resumes."""

    exit_code = ExitCode.INTERRUPTED


class Pull:
    """One run of one pull: resumes the open pull of the same query, or starts one."""

    def __init__(
        self,
        store: Store,
        actor: str,
        incident: str,
        name: str,
        src: Source,
        query: Query,
        progress: Progress | None,
        cancel: Callable[[], bool] | None,
        fingerprint: str = "",
    ) -> None:
        from ircli.evidence.schema import arrow_schema

        self.store, self.actor = store, actor
        self.incident, self.name, self.src, self.query = incident, name, src, query
        self.progress, self.cancel = progress, cancel
        self.fingerprint = fingerprint
        self.schema: pa.Schema = arrow_schema(query.table)
        self.totals: Counter[str] = Counter()
        self.parts = 0
        self.state: dict[str, Any] | None = None
        self.done = False
        self.raw_end: int | None = 0
        """Committed length of the raw log (``None``: parts with raw files of their own)."""
        self.raw_log: RawLog | None = None
        self.rows: StreamedRows | None = None

    def run(self) -> Event:
        """Fetch what is left, assemble the evidence files, journal ``evidence.added``."""
        from ircli.evidence.archive import RawLog, StreamedRows
        from ircli.evidence.custody import assemble, private_dir

        store = self.store
        request = self.src.describe(self.query)
        pull_id = self._resume()
        if pull_id is None:
            pull_id = "EV-" + secrets.token_hex(4)
            store.append(
                self.incident,
                "evidence.pull_started",
                {
                    "pull_id": pull_id,
                    "source": self.name,
                    "source_type": self.src.kind,
                    "query": self.query.to_dict(),
                    "request": request,
                    "config_sha256": self.fingerprint,
                },
                self.actor,
            )
        folder = store.files_dir / "pulls" / pull_id
        private_dir(store.files_dir, folder)
        with _locked(folder.parent / f"{pull_id}.lock", pull_id):
            _discard_uncommitted(folder, self.parts)
            streamed: Path | None = None
            raw_sha256: str | None = None
            if not self.done:
                if self.parts == 0:
                    self.rows = StreamedRows(folder, self.schema)
                try:
                    if self.raw_end is not None:
                        self.raw_log = RawLog(folder, self.raw_end)
                    self._fetch(pull_id, folder)
                except BaseException:
                    if self.rows is not None:
                        self.rows.abandon()
                    if self.raw_log is not None:
                        self.raw_log.close()
                    raise
                if self.rows is not None:
                    streamed = self.rows.close()
                if self.raw_log is not None:
                    raw_sha256 = self.raw_log.close()
            files = assemble(folder, self.parts, store.files_dir, self.schema, streamed, raw_sha256)
            payload = {
                "evidence_id": pull_id,
                "source": self.name,
                "source_type": self.src.kind,
                "table": self.query.table,
                "query": self.query.to_dict(),
                "request": request,
                "records": self.totals["records"],
                "quarantined": self.totals["quarantined"],
                "out_of_scope": self.totals["out_of_scope"],
                "pages": self.totals["pages"],
                "raw_sha256": files["raw"].sha256,
                "parquet_sha256": files["parquet"].sha256,
                "quarantine_sha256": files["quarantine"].sha256,
                "files": {kind: f.to_dict() for kind, f in files.items()},
            }
            event = store.append(self.incident, "evidence.added", payload, self.actor)
            shutil.rmtree(folder, ignore_errors=True)
        (folder.parent / f"{pull_id}.lock").unlink(missing_ok=True)
        return event

    def _resume(self) -> str | None:
        """The open pull with the same source and query, with its committed progress."""
        query = self.query.to_dict()
        open_pulls: dict[str, list[Event]] = {}
        for event in self.store.events(self.incident, types=EVENT_TYPES):
            pid = str(event.payload.get("pull_id") or event.payload.get("evidence_id"))
            if event.type == "evidence.pull_started":
                p = event.payload
                # Same source, same query, same source settings: anything else is a new pull,
                # so a changed URL or mapping can never mix two record sets into one item.
                if (p.get("source"), p.get("query"), p.get("config_sha256")) == (
                    self.name,
                    query,
                    self.fingerprint,
                ):
                    open_pulls[pid] = []
            elif event.type == "evidence.checkpoint" and pid in open_pulls:
                open_pulls[pid].append(event)
            elif event.type == "evidence.added":
                open_pulls.pop(pid, None)
        if not open_pulls:
            return None
        pull_id, checkpoints = list(open_pulls.items())[-1]
        for cp in checkpoints:
            p = cp.payload
            for key in ("records", "quarantined", "out_of_scope", "pages"):
                self.totals[key] += int(p.get(key, 0))
            self.parts = int(p["part"]) + 1
            self.raw_end = int(p["raw_end"]) if "raw_end" in p else None
            self.state = p.get("state")
            self.done = bool(p.get("done"))
        return pull_id

    def _fetch(self, pull_id: str, folder: Path) -> None:
        from ircli.errors import ExternalServiceError

        part = None
        last_state: dict[str, Any] | None = self.state
        try:
            for page in _parsed(self.src.pages(self.query, self.state)):
                if part is None:
                    part = self._new_part(folder)
                self._take(part, page)
                last_state = page.next_state
                if self.progress is not None:
                    self.progress(self.totals["records"] + part.summary.records, self._pages(part))
                full = (
                    part.summary.records + part.summary.quarantined >= self.src.checkpoint_records
                    or part.summary.raw_bytes >= PART_RAW_BYTES
                )
                if page.next_state is None or full:
                    self._commit(pull_id, part, page.next_state)
                    part = None
                if page.next_state is None:
                    return
                if self.cancel is not None and self.cancel():
                    if part is not None:
                        self._commit(pull_id, part, last_state)
                        part = None
                    raise PullCancelled(
                        f"pull {pull_id} cancelled after {self.totals['records']} record(s)",
                        hint="re-run the same pull to resume where it stopped",
                    )
            raise ExternalServiceError(f"source '{self.name}' ended without a last page")
        except PullCancelled:
            raise
        except IrcliError as exc:
            # Pages already processed are complete: keep them, so a re-run resumes after them.
            if part is not None and part.summary.pages:
                self._commit(pull_id, part, last_state)
                part = None
            self.store.append(
                self.incident,
                "evidence.pull_failed",
                {"pull_id": pull_id, "reason": exc.message, "records": self.totals["records"]},
                self.actor,
            )
            raise
        finally:
            if part is not None:
                part.abandon()

    def _pages(self, part: Part) -> int:
        return int(self.totals["pages"] + part.summary.pages)

    def _new_part(self, folder: Path) -> Part:
        from ircli.evidence.custody import Part

        return Part(folder, self.parts, self.schema, self.raw_log)

    def _take(self, part: Part, page: Page) -> None:
        from ircli.evidence.mapping import raw_of

        index = self.totals["pages"] + part.summary.pages
        part.add_raw(page.raw)
        for reason, raw in page.rejected:
            part.add_quarantined(reason, raw, index)
        if page.columns is not None:
            fast = self.src.mapping.normalize_columns(page.columns)
            if fast is not None:
                self._keep(part, fast)
                return
            assert page.slow is not None
            page = page.slow()  # some record is bad: find which, and why
            for reason, raw in page.rejected:
                part.add_quarantined(reason, raw, index)
        if not page.records:
            return
        batch, bad = self.src.mapping.normalize(page.records)
        for position, reason in bad:
            raw = page.raws[position] if page.raws is not None else raw_of(page.records[position])
            part.add_quarantined(reason, raw, index)
        self._keep(part, batch)

    def _keep(self, part: Part, batch: pa.RecordBatch) -> None:
        kept = _in_scope(batch, self.query)
        part.summary.out_of_scope += batch.num_rows - kept.num_rows
        part.add_rows(kept)
        if self.rows is not None and kept.num_rows:
            self.rows.add(kept)

    def _commit(self, pull_id: str, part: Part, state: dict[str, Any] | None) -> None:
        summary = part.close()
        payload = summary.to_dict() | {
            "pull_id": pull_id,
            "state": state,
            "done": state is None,
        }
        self.store.append(self.incident, "evidence.checkpoint", payload, self.actor)
        for key in ("records", "quarantined", "out_of_scope", "pages"):
            self.totals[key] += int(payload[key])
        self.parts += 1
        self.raw_end = summary.raw_end
        self.state = state


def _in_scope(batch: pa.RecordBatch, query: Query) -> pa.RecordBatch:
    """Rows inside the query's accounts and window (sources may not filter themselves)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if batch.num_rows == 0:
        return batch
    mask = None
    if query.accounts:
        mask = pc.is_in(batch.column("account_id"), value_set=pa.array(list(query.accounts)))
    if query.table == "requests":
        ts = batch.column("ts")
        for bound, op in ((query.since, pc.greater_equal), (query.until, pc.less)):
            if bound is not None:
                cond = op(ts, pa.scalar(bound, pa.timestamp("us", tz="UTC")))
                mask = cond if mask is None else pc.and_(mask, cond)
    return batch if mask is None else batch.filter(mask)


def _finish(page: Page) -> Page:
    """The page with its records parsed (what a source left for later, see ``Page.finish``)."""
    if page.finish is not None:
        done = page.finish()
        page.records, page.raws, page.columns, page.slow = (
            done.records,
            done.raws,
            done.columns,
            done.slow,
        )
        page.rejected = [*page.rejected, *done.rejected]
        page.finish = None
    return page


PARSERS = 2
"""Pages parsed at once. Parsing (C++, without the GIL) is the longest step of a pull;
two pages in flight keep both cores of a small machine busy while the fetch and the
normalising threads wait on the network or on each other."""


def _parsed(pages: Iterator[Page], workers: int = PARSERS, ahead: int = 4) -> Iterator[Page]:
    """``pages`` fetched in a thread of their own and parsed by ``workers`` more, handed
    on in order, each as soon as it and the pages before it are parsed; at most ``ahead``
    wait. A failure to fetch comes after the pages fetched before it."""
    from concurrent.futures import Future, ThreadPoolExecutor

    pool = ThreadPoolExecutor(workers, thread_name_prefix="evidence-parse")

    def submitted() -> Iterator[Future[Page]]:
        try:
            for page in pages:  # in the fetching thread: it hands each page on itself
                yield pool.submit(_finish, page)
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    try:
        for parsing in _prefetched(submitted(), "evidence-fetch", depth=ahead):
            yield parsing.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _prefetched(items: Iterator[T], name: str, depth: int) -> Iterator[T]:
    """Run ``items`` in a thread named ``name``, ahead of the consumer: the next pages are
    fetched and handed to the parsers while this one is normalised and written. Order is
    kept; at most ``depth`` items wait."""
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_on(kind: str, item: Any) -> bool:
        """Queue ``item`` unless the consumer has stopped (then nobody would take it)."""
        while not stop.is_set():
            try:
                box.put((kind, item), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_on("item", item):
                    return
            hand_on("end", None)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            hand_on("error", exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a stage behind this one stops here, in this thread

    worker = threading.Thread(target=produce, name=name, daemon=True)
    worker.start()
    try:
        while True:
            kind, item = box.get()
            if kind == "item":
                yield item
            elif kind == "error":
                raise item
            else:
                return
    finally:
        stop.set()
        # Unblock a producer waiting on a full queue; one stuck in a slow request is left
        # to finish alone (it is a daemon) so that cancelling never waits for the network.
        deadline = time.monotonic() + 1.0
        while worker.is_alive() and time.monotonic() < deadline:
            try:
                box.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)


class _locked:
    """An exclusive lock on one pull, so two processes never write the same parts."""

    def __init__(self, path: Path, pull_id: str) -> None:
        self.path, self.pull_id = path, pull_id
        self.handle: Any = None

    def __enter__(self) -> None:
        self.handle = self.path.open("a")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.close()
            raise RefusedError(
                f"pull {self.pull_id} is running in another process",
                hint="wait for it to finish, or stop it and re-run to resume",
            ) from None

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _discard_uncommitted(folder: Path, parts: int) -> None:
    """Remove part files no checkpoint names (written just before a crash)."""
    for path in folder.glob("part-*"):
        try:
            index = int(path.name[5:10])
        except ValueError:
            continue
        if index >= parts:
            path.unlink()
    shutil.rmtree(folder / "assembled", ignore_errors=True)
