"""What the analysis tabs share: the workers that read findings and evidence, the small
messages they post, and how a verdict or a number looks in a cell.

Workers run on the app (its one ``Worker.StateChanged`` handler reports failures) and
each builds its own workspace, like those of :mod:`ircli.tui.jobs`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widgets import DataTable
from textual.worker import get_current_worker

from ircli.errors import IrcliError
from ircli.services.evidence import EvidenceItem, list_evidence, quarantine_summary
from ircli.services.findings import (
    AccountDetail,
    AccountFinding,
    Findings,
    account_detail,
    incident_findings,
)
from ircli.tui.plain import plain

if TYPE_CHECKING:
    from ircli.tui.jobs import Jobs

VERDICT_STYLES = {"alert": "bold red", "watch": "yellow", "policy": "magenta", "clear": "dim"}
ROW_LIMIT = 500
"""Rows an analysis table holds at once; the rest wait behind a sort or a filter. A
DataTable measures every cell it is given: 500 rows rebuild in about a tenth of a
second, 24,000 would take seconds on every sort and keystroke and show nothing a sort
or filter cannot bring to the top."""


@dataclass
class FindingsLoaded(Message):
    """The incident's latest analysis was read (``findings`` is ``None`` before any)."""

    incident: str
    findings: Findings | None


@dataclass
class AccountRead(Message):
    """One account's drill-down was read."""

    detail: AccountDetail


@dataclass
class EvidenceListed(Message):
    """The incident's evidence items were read, with each one's quarantine reasons
    (reason kind → records) where its quarantine file could be read."""

    incident: str
    items: list[EvidenceItem]
    reasons: dict[str, dict[str, int]]


def _run(app: Jobs, group: str, job: Callable[[], Message | None], target: MessagePump) -> None:
    def work() -> None:
        worker = get_current_worker()
        message = job()
        if message is not None and not worker.is_cancelled:
            target.post_message(message)

    app.run_worker(work, thread=True, group=group, exclusive=True, exit_on_error=False)


def read_findings(app: Jobs, target: MessagePump, incident: str) -> None:
    """Read the incident's findings in a worker; ``target`` gets :class:`FindingsLoaded`."""

    def job() -> Message:
        with app.thread_workspace() as ws:
            return FindingsLoaded(incident, incident_findings(ws, incident))

    _run(app, f"findings-{id(target)}", job, target)


def read_account(app: Jobs, target: MessagePump, findings: Findings, account: str) -> None:
    """Read one account's drill-down (it reads prompts from the evidence) in a worker."""

    def job() -> Message:
        with app.thread_workspace() as ws:
            return AccountRead(account_detail(ws, findings, account))

    _run(app, f"account-{id(target)}", job, target)


def read_evidence(app: Jobs, target: MessagePump, incident: str) -> None:
    """List the incident's evidence items in a worker."""

    def job() -> Message:
        with app.thread_workspace() as ws:
            items = list_evidence(ws, incident)
            reasons = {}
            for item in items:
                try:
                    reasons[item.id] = quarantine_summary(ws, item)
                except (IrcliError, OSError, ValueError):
                    continue  # unreadable here; `ircli evidence verify` says why
            return EvidenceListed(incident, items, reasons)

    _run(app, f"evidence-{id(target)}", job, target)


ACCOUNT_COLUMNS = (("Verdict", 7), ("Score", 5), ("Account", 24), ("Top reason", 120))
"""A list of accounts (cluster-mates, members): fixed widths, so a table's header never
waits for its rows to be measured (and looks the same on every render)."""


def add_fixed_columns(table: DataTable[Text], columns: tuple[tuple[str, int], ...]) -> None:
    """Add ``(label, width)`` columns to ``table``."""
    for label, width in columns:
        table.add_column(label, width=width)


def account_cells(finding: AccountFinding) -> tuple[Text, ...]:
    """One account's row in :data:`ACCOUNT_COLUMNS`."""
    return (
        verdict_cell(finding.verdict),
        number_cell(finding.score),
        plain(finding.account, limit=60),
        plain(finding.top_reason, limit=200),
    )


def verdict_cell(verdict: str, label: str | None = None) -> Text:
    """A verdict, coloured by how much attention it needs; ``label`` (a count of accounts
    with that verdict, say) is shown in its place, in its colour."""
    return plain(verdict if label is None else label, style=VERDICT_STYLES.get(verdict, ""))


def number_cell(value: float | int | None, fmt: str = "{:.2f}") -> Text:
    """A right-aligned number (blank when there is none)."""
    text = "—" if value is None else fmt.format(value)
    return Text(text, justify="right", no_wrap=True)
