"""Evidence: pull it from a source, list it, show it, verify it.

A pull is journaled as it goes, so it can be resumed after any crash::

    evidence.pull_started   pull id, source, query, the request as sent
    evidence.checkpoint     a part's counts and the source state to resume from (repeated)
    evidence.pull_failed    why it stopped (the pull stays open: re-run to resume)
    evidence.added          the finished evidence item: counts and the sha256 of the raw
                            pages, the normalised Parquet file and the quarantine file

Re-running the same pull (same incident, source and query) resumes the open one: the
parts its checkpoints name are kept, anything written after the last checkpoint is
discarded and fetched again. Records are never duplicated or lost, because a part and
the state that follows it are committed together by one journal event.
"""

from __future__ import annotations

import fcntl
import queue
import secrets
import shutil
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ircli.core.clock import parse_ts
from ircli.core.events import Event
from ircli.core.timeline import describes
from ircli.errors import IrcliError, NotFoundError, RefusedError, ValidationError
from ircli.exitcodes import ExitCode
from ircli.services.incidents import get_incident, resolve_incident_id
from ircli.services.workspace import Workspace

if TYPE_CHECKING:
    import pyarrow as pa

    from ircli.evidence.sources import Page, Query, Source, SourceEnv

EVENT_TYPES = (
    "evidence.pull_started",
    "evidence.checkpoint",
    "evidence.pull_failed",
    "evidence.added",
)
MAX_ACCOUNTS = 100_000
PART_RAW_BYTES = 256 * 1024 * 1024

Progress = Callable[[int, int], None]
"""Called after each page with (records kept so far, pages so far)."""


class PullCancelled(IrcliError):
    """The pull was cancelled; what it fetched is checkpointed and a re-run resumes."""

    exit_code = ExitCode.INTERRUPTED


@dataclass
class EvidenceItem:
    """One finished pull (or, with ``status = "incomplete"``, one still open)."""

    id: str
    incident: str
    source: str
    source_type: str
    table: str
    query: dict[str, Any]
    request: dict[str, Any]
    actor: str
    ts: str
    status: str = "complete"
    records: int = 0
    quarantined: int = 0
    out_of_scope: int = 0
    pages: int = 0
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    seq: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "id": self.id,
            "incident": self.incident,
            "status": self.status,
            "source": self.source,
            "source_type": self.source_type,
            "table": self.table,
            "query": self.query,
            "request": self.request,
            "actor": self.actor,
            "ts": self.ts,
            "records": self.records,
            "quarantined": self.quarantined,
            "out_of_scope": self.out_of_scope,
            "pages": self.pages,
            "files": self.files,
            "seq": self.seq,
        }


# -- pulling ---------------------------------------------------------------------------


def pull_evidence(
    ws: Workspace,
    incident: str,
    source: str,
    *,
    accounts: Sequence[str] = (),
    from_incident: bool = False,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    env: SourceEnv | None = None,
) -> EvidenceItem:
    """Pull evidence from the configured ``source`` into ``incident`` (resuming if open).

    ``accounts`` narrows the pull; ``from_incident`` adds the incident's subject accounts.
    ``since``/``until`` bound the request time (``until`` exclusive). ``cancel`` is polled
    between pages. Returns the finished evidence item.
    """
    from ircli.evidence.sources import Query, SourceEnv, open_source

    state = get_incident(ws, incident)
    if state.status == "closed":
        raise RefusedError(f"{state.id} is closed", hint="reopen it before pulling evidence")
    wanted = _accounts(accounts, state.subjects if from_incident else [])
    if from_incident and not wanted:
        raise ValidationError(
            f"{state.id} has no subject accounts", hint="add them, or pass --accounts"
        )
    start, end = _moment(since, "since"), _moment(until, "until")
    if start and end and start >= end:
        raise ValidationError("--since must be before --until")
    if env is None:
        env = SourceEnv(base_dir=ws.config_path.parent if ws.config_path else Path.cwd())
    src = open_source(source, ws.config.sources.get(source), env)
    try:
        query = Query(src.mapping.table, wanted, start, end)
        return _Pull(ws, state.id, source, src, query, progress, cancel).run()
    finally:
        src.close()


class _Pull:
    """One run of one pull: resumes the open pull of the same query, or starts one."""

    def __init__(
        self,
        ws: Workspace,
        incident: str,
        name: str,
        src: Source,
        query: Query,
        progress: Progress | None,
        cancel: Callable[[], bool] | None,
    ) -> None:
        from ircli.evidence.schema import arrow_schema

        self.ws, self.incident, self.name, self.src, self.query = ws, incident, name, src, query
        self.progress, self.cancel = progress, cancel
        self.schema: pa.Schema = arrow_schema(query.table)
        self.totals: Counter[str] = Counter()
        self.parts = 0
        self.state: dict[str, Any] | None = None
        self.done = False

    def run(self) -> EvidenceItem:
        from ircli.evidence.custody import assemble

        store = self.ws.store
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
                },
                self.ws.actor,
            )
        folder = store.files_dir / "pulls" / pull_id
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _locked(folder.parent / f"{pull_id}.lock", pull_id):
            _discard_uncommitted(folder, self.parts)
            if not self.done:
                self._fetch(pull_id, folder)
            files = assemble(folder, self.parts, store.files_dir, self.schema)
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
            event = store.append(self.incident, "evidence.added", payload, self.ws.actor)
            shutil.rmtree(folder, ignore_errors=True)
        (folder.parent / f"{pull_id}.lock").unlink(missing_ok=True)
        return _item_from_added(event)

    def _resume(self) -> str | None:
        """The open pull with the same source and query, with its committed progress."""
        query = self.query.to_dict()
        open_pulls: dict[str, list[Event]] = {}
        for event in self.ws.store.events(self.incident, types=EVENT_TYPES):
            pid = event.payload.get("pull_id") or event.payload.get("evidence_id")
            if event.type == "evidence.pull_started":
                if event.payload.get("source") == self.name and event.payload.get("query") == query:
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
            self.state = p.get("state")
            self.done = bool(p.get("done"))
        return pull_id

    def _fetch(self, pull_id: str, folder: Path) -> None:
        from ircli.errors import ExternalServiceError

        part = None
        last_state: dict[str, Any] | None = self.state
        try:
            for page in _prefetched(self.src.pages(self.query, self.state)):
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
            self.ws.store.append(
                self.incident,
                "evidence.pull_failed",
                {"pull_id": pull_id, "reason": exc.message, "records": self.totals["records"]},
                self.ws.actor,
            )
            raise
        finally:
            if part is not None:
                part.abandon()

    def _pages(self, part: Any) -> int:
        return int(self.totals["pages"] + part.summary.pages)

    def _new_part(self, folder: Path) -> Any:
        from ircli.evidence.custody import Part

        return Part(folder, self.parts, self.schema)

    def _take(self, part: Any, page: Page) -> None:
        from ircli.evidence.mapping import raw_of

        index = self.totals["pages"] + part.summary.pages
        part.add_raw(page.raw)
        for reason, raw in page.rejected:
            part.add_quarantined(reason, raw, index)
        if not page.records:
            return
        batch, bad = self.src.mapping.normalize(page.records)
        for position, reason in bad:
            raw = page.raws[position] if page.raws is not None else raw_of(page.records[position])
            part.add_quarantined(reason, raw, index)
        kept = _in_scope(batch, self.query)
        part.summary.out_of_scope += batch.num_rows - kept.num_rows
        part.add_rows(kept)

    def _commit(self, pull_id: str, part: Any, state: dict[str, Any] | None) -> None:
        summary = part.close()
        payload = summary.to_dict() | {
            "pull_id": pull_id,
            "state": state,
            "done": state is None,
        }
        self.ws.store.append(self.incident, "evidence.checkpoint", payload, self.ws.actor)
        for key in ("records", "quarantined", "out_of_scope", "pages"):
            self.totals[key] += int(payload[key])
        self.parts += 1
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


def _prefetched(pages: Iterator[Page], depth: int = 2) -> Iterator[Page]:
    """Fetch the next pages in a thread while this one is normalised and written."""
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        box.put(("page", page), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(("end", None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            box.put(("error", exc))

    worker = threading.Thread(target=produce, name="evidence-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = box.get()
            if kind == "page":
                yield item
            elif kind == "error":
                raise item
            else:
                return
    finally:
        stop.set()
        while worker.is_alive():
            try:
                box.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.1)


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


def _accounts(given: Sequence[str], subjects: Sequence[str]) -> tuple[str, ...]:
    out: set[str] = set()
    for raw in [*given, *subjects]:
        for part in str(raw).split(","):
            account = part.strip()
            if not account:
                continue
            if len(account) > 256 or any(ord(c) < 32 for c in account):
                raise ValidationError(f"invalid account id {account[:40]!r}")
            out.add(account)
    if len(out) > MAX_ACCOUNTS:
        raise ValidationError(f"{len(out)} accounts; at most {MAX_ACCOUNTS} per pull")
    return tuple(sorted(out))


def _moment(value: datetime | str | None, what: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return parse_ts(value)
    except ValueError:
        raise ValidationError(
            f"--{what} {value!r} is not a time", hint="use ISO 8601, e.g. 2026-03-01T00:00:00Z"
        ) from None


# -- reading ---------------------------------------------------------------------------


def _item_from_added(event: Event) -> EvidenceItem:
    p = event.payload
    return EvidenceItem(
        id=p["evidence_id"],
        incident=event.incident,
        source=p["source"],
        source_type=p["source_type"],
        table=p["table"],
        query=p["query"],
        request=p.get("request", {}),
        actor=event.actor,
        ts=event.ts,
        records=int(p["records"]),
        quarantined=int(p["quarantined"]),
        out_of_scope=int(p.get("out_of_scope", 0)),
        pages=int(p.get("pages", 0)),
        files=p["files"],
        seq=event.seq,
    )


def list_evidence(ws: Workspace, incident: str) -> list[EvidenceItem]:
    """Every evidence item of the incident, oldest first, with unfinished pulls last."""
    incident = resolve_incident_id(ws, incident)
    done: list[EvidenceItem] = []
    pending: dict[str, EvidenceItem] = {}
    for event in ws.store.events(incident, types=EVENT_TYPES):
        p = event.payload
        if event.type == "evidence.added":
            pending.pop(p["evidence_id"], None)
            done.append(_item_from_added(event))
        elif event.type == "evidence.pull_started":
            pending[p["pull_id"]] = EvidenceItem(
                id=p["pull_id"],
                incident=incident,
                source=p["source"],
                source_type=p["source_type"],
                table=p["query"]["table"],
                query=p["query"],
                request=p.get("request", {}),
                actor=event.actor,
                ts=event.ts,
                status="incomplete",
                seq=event.seq,
            )
        elif event.type == "evidence.checkpoint" and p["pull_id"] in pending:
            item = pending[p["pull_id"]]
            item.records += int(p["records"])
            item.quarantined += int(p["quarantined"])
            item.out_of_scope += int(p.get("out_of_scope", 0))
            item.pages += int(p["pages"])
        elif event.type == "evidence.pull_failed" and p["pull_id"] in pending:
            pending[p["pull_id"]].status = "failed (resumable)"
    return done + list(pending.values())


def get_evidence(ws: Workspace, incident: str, evidence_id: str) -> EvidenceItem:
    """One evidence item by id (``EV-…``; case-insensitive)."""
    wanted = evidence_id.strip().upper().removeprefix("EV-")
    for item in list_evidence(ws, incident):
        if item.id.upper().removeprefix("EV-") == wanted:
            return item
    raise NotFoundError(
        f"no evidence {evidence_id} in {resolve_incident_id(ws, incident)}",
        hint="list it: ircli evidence list INC",
    )


def evidence_file(ws: Workspace, item: EvidenceItem, kind: str) -> Path:
    """The stored file of ``kind`` (parquet, raw, quarantine) of a finished item."""
    if kind not in item.files:
        raise NotFoundError(f"{item.id} has no {kind} file (the pull is not finished)")
    return ws.store.files_dir / item.files[kind]["path"]


def quarantine_summary(ws: Workspace, item: EvidenceItem) -> dict[str, int]:
    """How many records were quarantined for each kind of reason."""
    from ircli.evidence.custody import read_quarantine

    if item.status != "complete" or not item.quarantined:
        return {}
    reasons: Counter[str] = Counter()
    for entry in read_quarantine(evidence_file(ws, item, "quarantine")):
        reasons[_reason_kind(entry["reason"])] += 1
    return dict(reasons.most_common())


def quarantined_records(ws: Workspace, item: EvidenceItem) -> list[dict[str, Any]]:
    """Every quarantined record: reason, page and raw bytes."""
    from ircli.evidence.custody import read_quarantine

    if item.status != "complete":
        return []
    return read_quarantine(evidence_file(ws, item, "quarantine"))


def evidence_rows(ws: Workspace, item: EvidenceItem) -> pa.Table:
    """The normalised rows of a finished evidence item."""
    from ircli.evidence.custody import read_rows

    return read_rows(evidence_file(ws, item, "parquet"))


def _reason_kind(reason: str) -> str:
    head = reason.split(":", 1)[0]
    if head.startswith("field "):
        tail = reason.split(":", 1)[1].strip() if ":" in reason else ""
        return f"{head}: {tail.split(',')[0].split('(')[0].strip()[:40]}"
    return head[:60]


@dataclass
class EvidenceCheck:
    """The verdict on one evidence item's files."""

    id: str
    ok: bool
    problems: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"id": self.id, "ok": self.ok, "problems": self.problems}


def verify_evidence(ws: Workspace, incident: str) -> list[EvidenceCheck]:
    """Recompute every hash (and the row count) of every finished evidence item."""
    from ircli.evidence.custody import sha256_file

    out = []
    for item in list_evidence(ws, incident):
        if item.status != "complete":
            continue
        problems: list[str] = []
        for kind, meta in item.files.items():
            path = ws.store.files_dir / meta["path"]
            if not path.is_file():
                problems.append(f"{kind} file missing ({meta['path']})")
                continue
            digest = sha256_file(path)
            if digest != meta["sha256"]:
                problems.append(f"{kind} file altered: sha256 {digest[:16]}… ≠ {meta['sha256'][:16]}…")
        if not problems:
            import pyarrow.parquet as pq

            try:
                rows = pq.ParquetFile(evidence_file(ws, item, "parquet")).metadata.num_rows
            except Exception as exc:  # noqa: BLE001 - any unreadable file is a finding
                problems.append(f"parquet unreadable ({type(exc).__name__})")
            else:
                if rows != item.records:
                    problems.append(f"parquet has {rows} rows, the journal says {item.records}")
        out.append(EvidenceCheck(item.id, not problems, problems))
    return out


# -- the timeline ----------------------------------------------------------------------


@describes("evidence.pull_started", "Evidence pull started")
def _started(p: dict[str, Any]) -> str:
    q = p.get("query", {})
    scope = f" for {len(q.get('accounts') or [])} account(s)" if q.get("accounts") else ""
    return f"Started pulling {q.get('table', '')} from source {p['source']}{scope} ({p['pull_id']})"


@describes("evidence.checkpoint", "Evidence pull checkpoint")
def _checkpoint(p: dict[str, Any]) -> str:
    return (
        f"Checkpoint {p['part']} of {p['pull_id']}: {p['records']} record(s), "
        f"{p['quarantined']} quarantined"
    )


@describes("evidence.pull_failed", "Evidence pull failed")
def _failed(p: dict[str, Any]) -> str:
    return f"Pull {p['pull_id']} stopped: {p['reason']} (re-run to resume)"


@describes("evidence.added", "Evidence added")
def _added(p: dict[str, Any]) -> str:
    return (
        f"Evidence {p['evidence_id']} from {p['source']}: {p['records']} record(s), "
        f"{p['quarantined']} quarantined, parquet sha256 {p['parquet_sha256'][:16]}…"
    )


def format_window(item: EvidenceItem) -> str:
    """The query's time window as one short string."""
    q = item.query
    return f"{(q.get('since') or '…')[:19]} → {(q.get('until') or '…')[:19]}"

