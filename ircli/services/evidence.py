"""Evidence: pull it from a source, list it, show it, verify it.

How a pull survives crashes is told in :mod:`ircli.evidence.pull`; what is kept on disk
in :mod:`ircli.evidence.custody`. Heavy libraries (pyarrow, httpx, DuckDB) are imported
inside the functions that need them, so front ends can import this module cheaply.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ircli.core.canonical import canonical_json, sha256_hex
from ircli.core.clock import parse_ts
from ircli.core.events import Event
from ircli.errors import NotFoundError, RefusedError, ValidationError
from ircli.evidence.events import EVENT_TYPES
from ircli.services.incidents import get_incident, resolve_incident_id
from ircli.services.workspace import Workspace

if TYPE_CHECKING:
    import pyarrow as pa

    from ircli.evidence.sources import SourceEnv

MAX_ACCOUNTS = 100_000

Progress = Callable[[int, int], None]
"""Called after each page with (records kept so far, pages so far)."""


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
    from ircli.evidence.pull import Pull
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
        table = ws.config.sources.get(source) or {}
        fingerprint = sha256_hex(canonical_json(table))
        pull = Pull(ws.store, ws.actor, state.id, source, src, query, progress, cancel, fingerprint)
        event = pull.run()
        return _item_from_added(event)
    finally:
        src.close()


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
    # Read tolerantly: other tools (and older versions) write leaner payloads, and a
    # reader must not fail on them.
    p = event.payload
    return EvidenceItem(
        id=str(p.get("evidence_id", "?")),
        incident=event.incident,
        source=str(p.get("source", "?")),
        source_type=str(p.get("source_type", "?")),
        table=str(p.get("table", "?")),
        query=dict(p.get("query") or {}),
        request=dict(p.get("request") or {}),
        actor=event.actor,
        ts=event.ts,
        records=int(p.get("records") or 0),
        quarantined=int(p.get("quarantined") or 0),
        out_of_scope=int(p.get("out_of_scope") or 0),
        pages=int(p.get("pages") or 0),
        files=dict(p.get("files") or {}),
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
    return ws.store.files_dir / str(item.files[kind]["path"])


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
                problems.append(
                    f"{kind} file altered: sha256 {digest[:16]}… ≠ {meta['sha256'][:16]}…"
                )
        if not problems:
            import pyarrow.parquet as pq

            try:
                rows = pq.ParquetFile(evidence_file(ws, item, "parquet")).metadata.num_rows
            except Exception as exc:
                problems.append(f"parquet unreadable ({type(exc).__name__})")
            else:
                if rows != item.records:
                    problems.append(f"parquet has {rows} rows, the journal says {item.records}")
        out.append(EvidenceCheck(item.id, not problems, problems))
    return out


def format_window(item: EvidenceItem) -> str:
    """The query's time window as one short string."""
    q = item.query
    return f"{(q.get('since') or '…')[:19]} → {(q.get('until') or '…')[:19]}"


# -- sample prompts ----------------------------------------------------------------------

PROMPT_CHARS = 600
"""How much of one prompt a sample keeps: enough to read its template and payload."""


@dataclass(frozen=True, slots=True)
class PromptSample:
    """A prompt an account sent, how often, when first, with which model and client."""

    text: str
    count: int
    first_seen: str
    model: str
    user_agent: str


def sample_prompts(
    ws: Workspace, incident: str, account: str, *, limit: int = 5
) -> tuple[list[PromptSample], str]:
    """Up to ``limit`` distinct prompts ``account`` sent, most repeated first, read from
    the incident's requests evidence; and a note when there are none to show (no
    requests evidence, or prompt text withheld). The texts are attacker-controlled."""
    import duckdb

    paths = [
        str(evidence_file(ws, item, "parquet"))
        for item in list_evidence(ws, incident)
        if item.status == "complete" and item.table == "requests" and "parquet" in item.files
    ]
    paths = [p for p in paths if Path(p).is_file()]
    if not paths:
        return [], "no requests evidence in this incident"
    con = duckdb.connect(config={"threads": 1})
    try:
        rows = con.execute(
            """
            SELECT left(prompt_text, ?) AS text, count(*) AS n, min(ts)::VARCHAR AS first,
                   any_value(model) AS model, any_value(user_agent) AS ua
            FROM read_parquet(?, union_by_name = true)
            WHERE account_id = ? AND prompt_text IS NOT NULL
            GROUP BY prompt_text
            ORDER BY n DESC, first, text
            LIMIT ?
            """,
            [PROMPT_CHARS, paths, account, limit],
        ).fetchall()
    finally:
        con.close()
    samples = [
        PromptSample(str(text), int(n), str(first or "")[:19], str(model or ""), str(ua or ""))
        for text, n, first, model, ua in rows
    ]
    note = "" if samples else "no prompt text for this account in the evidence (withheld or absent)"
    return samples, note
