"""The incident report's facts: decisions, approvals, actions, evidence, analysis.

One pass over the selected events folds them into small aggregates (counts, one row
per decision, action or evidence item) — never a list of all events — so the
Markdown and HTML writers can print the summary before streaming the timeline.
Payloads are read defensively (see :mod:`ircli.export.fields`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ircli.core.events import Event
from ircli.export.fields import first, mapping, measure, names, number, text

VERDICT_ORDER = ("alert", "watch", "policy", "clear")
"""Most to least severe: the order verdicts are shown in."""

MAX_ROWS = 500
"""Rows kept per section; beyond it the report says how many more there were."""


@dataclass
class Approvals:
    """Who approved or rejected one step's request."""

    requested_by: str = ""
    required: int = 1
    granted_by: list[str] = field(default_factory=list)
    rejected_by: list[str] = field(default_factory=list)


@dataclass
class DecisionRow:
    """One recorded decision."""

    seq: int
    ts: str
    actor: str
    step: str
    choice: str
    rationale: str
    evidence: list[str]


@dataclass
class ActionRow:
    """One requested action and its ledger totals."""

    key: str
    seq: int
    ts: str
    actor: str
    kind: str
    step: str
    dry_run: bool
    targets: int | None
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def pending(self) -> int | None:
        """Targets with no outcome yet (``None`` when the target count is unknown)."""
        if self.targets is None:
            return None
        return max(self.targets - self.succeeded - self.failed - self.skipped, 0)


@dataclass
class EvidenceRow:
    """One evidence item with its hashes."""

    seq: int
    ts: str
    actor: str
    evidence_id: str
    source: str
    query: str
    records: int | None
    quarantined: int | None
    sha256: str
    normalized_sha256: str


@dataclass
class AnalysisRow:
    """One completed analysis."""

    seq: int
    ts: str
    accounts: int | None
    clusters: int | None
    verdicts: dict[str, int]
    indicators: list[tuple[str, float]]


@dataclass
class ReportRow:
    """One submitted Forum report."""

    seq: int
    ts: str
    actor: str
    status_id: str
    status: str
    objects: int | None
    bundle_sha256: str


@dataclass
class ReportFacts:
    """Everything the report prints above the timeline."""

    events: int = 0
    first_ts: str = ""
    last_ts: str = ""
    by_type: Counter[str] = field(default_factory=Counter)
    by_day: Counter[str] = field(default_factory=Counter)
    actors: Counter[str] = field(default_factory=Counter)
    decisions: list[DecisionRow] = field(default_factory=list)
    approvals: dict[str, Approvals] = field(default_factory=dict)
    actions: dict[str, ActionRow] = field(default_factory=dict)
    evidence: list[EvidenceRow] = field(default_factory=list)
    analyses: list[AnalysisRow] = field(default_factory=list)
    reports: list[ReportRow] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    """Rows beyond :data:`MAX_ROWS` per section, counted but not kept."""

    def ledger_totals(self) -> dict[str, int]:
        """Sum of every action's ledger."""
        totals = Counter[str]()
        for row in self.actions.values():
            totals["targets"] += row.targets or 0
            totals["succeeded"] += row.succeeded
            totals["failed"] += row.failed
            totals["skipped"] += row.skipped
            totals["pending"] += row.pending or 0
        return dict(totals)

    def approvers(self, step: str) -> Approvals:
        """The approvals recorded for ``step`` (empty when none)."""
        return self.approvals.get(step, Approvals())


def fold(events: Iterable[Event]) -> ReportFacts:
    """Fold a stream of events into the report's facts."""
    facts = ReportFacts()
    for event in events:
        _count(facts, event)
        handler = _HANDLERS.get(event.type)
        if handler is not None:
            handler(facts, event, event.payload if isinstance(event.payload, dict) else {})
    return facts


def _count(facts: ReportFacts, event: Event) -> None:
    facts.events += 1
    if not facts.first_ts:
        facts.first_ts = event.ts
    facts.last_ts = event.ts
    facts.by_type[event.type] += 1
    facts.by_day[event.ts[:10]] += 1
    facts.actors[event.actor] += 1


def _keep(facts: ReportFacts, rows: list[Any], section: str) -> bool:
    if len(rows) >= MAX_ROWS:
        facts.dropped[section] += 1
        return False
    return True


def _decision(facts: ReportFacts, event: Event, p: dict[str, Any]) -> None:
    if _keep(facts, facts.decisions, "decisions"):
        facts.decisions.append(
            DecisionRow(
                event.seq,
                event.ts,
                event.actor,
                text(p.get("step"), 80),
                text(first(p, "option", "decision", "choice", "outcome"), 200),
                text(first(p, "rationale", "reason"), 2000),
                names(first(p, "evidence", "evidence_ids")),
            )
        )


def _approval(facts: ReportFacts, event: Event, p: dict[str, Any]) -> None:
    step = text(p.get("step"), 80)
    entry = facts.approvals.setdefault(step, Approvals())
    if event.type == "approval.requested":
        # A new request supersedes the approvals given to the previous one.
        entry.requested_by = event.actor
        entry.required = number(p.get("required")) or 1
        entry.granted_by, entry.rejected_by = [], []
        return
    bucket = entry.granted_by if event.type == "approval.granted" else entry.rejected_by
    if event.actor not in bucket:
        bucket.append(event.actor)


def _action_key(p: dict[str, Any]) -> str:
    # The ledger is per step and mode (apply or rollback); older payloads name an id.
    key = text(first(p, "action_id", "run_id", "ledger", "id", "step", "action"), 120) or "?"
    mode = text(p.get("mode"), 20)
    return f"{key} ({mode})" if mode and mode != "apply" else key


def _action_requested(facts: ReportFacts, event: Event, p: dict[str, Any]) -> None:
    key = _action_key(p)
    if key not in facts.actions and not _keep(facts, list(facts.actions), "actions"):
        return
    preview = mapping(p.get("preview"))
    previous = facts.actions.get(key)
    row = ActionRow(
        key,
        event.seq,
        event.ts,
        event.actor,
        text(first(p, "action", "kind", "type"), 80) or "action",
        text(p.get("step"), 80),
        p.get("dry_run") is True,
        number(first(p, "targets", "target_count", "count") or preview.get("targets")),
    )
    if previous is not None:  # a new preview of the same ledger: outcomes so far still count
        row.succeeded, row.failed, row.skipped = (
            previous.succeeded,
            previous.failed,
            previous.skipped,
        )
    facts.actions[key] = row


def _action_outcome(facts: ReportFacts, event: Event, p: dict[str, Any]) -> None:
    key = _action_key(p)
    row = facts.actions.get(key)
    if row is None:  # an outcome whose request lies outside the exported selection
        if not _keep(facts, list(facts.actions), "actions"):
            return
        kind = text(first(p, "action", "kind", "type"), 80) or "action"
        row = ActionRow(key, event.seq, event.ts, event.actor, kind, "", False, None)
        facts.actions[key] = row
    if event.type == "action.target_succeeded":
        row.succeeded += 1
    elif event.type == "action.target_failed":
        row.failed += 1
    else:
        row.skipped += 1


def _evidence(facts: ReportFacts, event: Event, p: dict[str, Any]) -> None:
    if _keep(facts, facts.evidence, "evidence"):
        hashes = mapping(p.get("hashes"))
        facts.evidence.append(
            EvidenceRow(
                event.seq,
                event.ts,
                event.actor,
                text(first(p, "evidence_id", "id"), 80),
                text(first(p, "source", "source_name"), 80),
                text(p.get("query"), 300),
                number(first(p, "records", "record_count", "rows")),
                number(first(p, "quarantined", "quarantine_count", "rejected")),
                text(first(p, "sha256", "raw_sha256", "payload_sha256") or hashes.get("raw"), 80),
                text(
                    first(p, "normalized_sha256", "parquet_sha256") or hashes.get("normalized"),
                    80,
                ),
            )
        )


def _analysis(facts: ReportFacts, event: Event, p: dict[str, Any]) -> None:
    if not _keep(facts, facts.analyses, "analyses"):
        return
    summary = mapping(p.get("summary"))
    verdicts: dict[str, int] = {}
    raw = first(p, "verdicts", "verdict_counts") or summary.get("verdicts")
    for name, value in mapping(raw).items():
        count = number(value)
        if count is not None:
            verdicts[text(name, 40)] = count
    order = {name: rank for rank, name in enumerate(VERDICT_ORDER)}
    verdicts = dict(sorted(verdicts.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])))
    facts.analyses.append(
        AnalysisRow(
            event.seq,
            event.ts,
            number(first(p, "accounts", "account_count") or summary.get("accounts")),
            number(first(p, "clusters") or summary.get("clusters")),
            verdicts,
            _indicators(p.get("indicators")),
        )
    )


def _indicators(value: Any) -> list[tuple[str, float]]:
    """Indicator name → value, from a dict or a list of ``{name, value}`` records."""
    pairs: list[tuple[str, float]] = []
    if isinstance(value, dict):
        for name, raw in value.items():
            amount = measure(raw)
            if amount is None and isinstance(raw, dict):
                amount = measure(first(raw, "value", "score", "accounts", "count"))
            if amount is not None:
                pairs.append((text(name, 60), amount))
    elif isinstance(value, list):
        for item in value:
            record = mapping(item)
            name = text(first(record, "name", "indicator", "id"), 60)
            amount = measure(first(record, "value", "score", "accounts", "count"))
            if name and amount is not None:
                pairs.append((name, amount))
    pairs.sort(key=lambda pair: (-abs(pair[1]), pair[0]))
    return pairs[:12]


def _report(facts: ReportFacts, event: Event, p: dict[str, Any]) -> None:
    if _keep(facts, facts.reports, "reports"):
        facts.reports.append(
            ReportRow(
                event.seq,
                event.ts,
                event.actor,
                text(p.get("status_id"), 120),
                text(p.get("status"), 40) or _delivery(p),
                number(first(p, "objects", "object_ids")),
                text(first(p, "bundle_sha256", "bundle_hash", "sha256", "subject"), 80),
            )
        )


def _delivery(p: dict[str, Any]) -> str:
    """A TAXII status's counts as words ("12 ok, 1 failed")."""
    parts = [
        f"{count} {label}"
        for key, label in (
            ("success_count", "ok"),
            ("failure_count", "failed"),
            ("pending_count", "pending"),
        )
        if (count := number(p.get(key))) is not None
    ]
    return ", ".join(parts)


_HANDLERS = {
    "decision.recorded": _decision,
    "approval.requested": _approval,
    "approval.granted": _approval,
    "approval.rejected": _approval,
    "action.requested": _action_requested,
    "action.target_succeeded": _action_outcome,
    "action.target_failed": _action_outcome,
    "action.target_skipped": _action_outcome,
    "evidence.added": _evidence,
    "analysis.completed": _analysis,
    "report.submitted": _report,
}
