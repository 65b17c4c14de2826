"""The incident workspace: banner, playbook steps and one tab per topic of the journal."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from ircli.services.journal import (
    SECTIONS,
    Incident,
    JournalDelta,
    TimelineEntry,
)
from ircli.services.step_states import StepView
from ircli.tui.accounts import AccountsPane
from ircli.tui.actions import bindings
from ircli.tui.clusters import ClustersPane
from ircli.tui.evidence_tab import EvidencePane
from ircli.tui.findings import EvidenceListed, FindingsLoaded, read_evidence, read_findings
from ircli.tui.messages import JournalChanged, JournalRead, NoteAdded, Verified
from ircli.tui.plain import plain, plain_block, when
from ircli.tui.step_card import StepActions, StepCard
from ircli.tui.timeline import TIMELINE_HEADER, TimelineView

if TYPE_CHECKING:
    from ircli.tui.app import IrcliApp

TABS = ("overview", "evidence", "accounts", "clusters", "decisions", "actions", "timeline")
TABLE_LIMIT = 500
"""Rows kept in a tab's table; the Timeline tab (virtual) always holds every event."""

TLP_STYLES = {
    "RED": "bold white on red",
    "AMBER": "bold black on #ffc000",
    "AMBER+STRICT": "bold black on #ffc000",
    "GREEN": "bold black on #33cc00",
    "CLEAR": "bold black on white",
}
STEP_MARKS = {
    "done": ("✔", "green"),
    "current": ("▶", "bold"),
    "waiting_input": ("✎", "yellow"),
    "waiting_approval": ("⧗", "yellow"),
    "pending": ("·", "dim"),
    "skipped": ("↷", "dim"),
    "failed": ("✘", "red"),
}
EVENT_COLUMNS = ("Seq", "When", "By", "Event", "What")


class IncidentScreen(StepActions, Screen[None]):
    """Everything about one incident, refreshed live from the journal."""

    SCOPE = "incident"
    BINDINGS = bindings("incident")
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012

    app: IrcliApp

    def __init__(self, incident: str) -> None:
        super().__init__(classes="incident")
        self.incident_id = incident
        self._state: Incident | None = None
        self._seq = 0
        self._counts: dict[str, int] = {}
        self._pending = _Pending()

    @property
    def state(self) -> Incident | None:
        """The incident as last read (``None`` until the first read arrives)."""
        return self._state

    def compose(self) -> ComposeResult:
        yield Static(plain(f" {self.incident_id}  loading…"), id="banner")
        yield StepCard(self.incident_id, id="step-card")
        with Horizontal(id="body"):
            with Vertical(id="steps-pane"):
                yield Static(Text("Steps", style="bold"), classes="pane-title")
                yield Static("", id="steps")
            with TabbedContent(id="tabs", initial="tab-overview"):
                with TabPane("Overview", id="tab-overview"), VerticalScroll(id="overview"):
                    yield Static("", id="facts")
                    yield Static(Text("Notes", style="bold"), classes="pane-title")
                    yield _table("notes", ("Seq", "When", "By", "Note"))
                    yield Static("", id="empty-notes", classes="empty")
                for section in SECTIONS:
                    with TabPane(section.title, id=f"tab-{section.key}"):
                        yield from self._analysis_pane(section.key)
                        yield _table(f"section-{section.key}", EVENT_COLUMNS)
                        yield Static(
                            Text(section.empty), id=f"empty-{section.key}", classes="empty"
                        )
                with TabPane("Timeline", id="tab-timeline"):
                    yield Static(Text(TIMELINE_HEADER, style="bold"), id="timeline-header")
                    yield TimelineView(id="timeline")
                    yield Static("", id="timeline-status")
        yield Footer()

    def _analysis_pane(self, key: str) -> ComposeResult:
        """What a tab shows above its journal events (the Evidence, Accounts and Clusters
        tabs lead with what the evidence and the analysis say)."""
        panes = {"evidence": EvidencePane, "accounts": AccountsPane, "clusters": ClustersPane}
        if key in panes:
            yield panes[key](self.incident_id, id=f"{key}-pane")
        if key == "accounts":
            yield Static(Text("Subject accounts", style="bold"), classes="pane-title")
            yield _table("subjects", ("Account", "Added", "By", "Seq"))
        if key in panes:
            yield Static(Text("Journal", style="bold"), classes="pane-title")

    def on_findings_loaded(self, message: FindingsLoaded) -> None:
        if message.incident == self.incident_id:
            self.query_one(AccountsPane).show(message.findings)
            self.query_one(ClustersPane).show(message.findings)

    def on_evidence_listed(self, message: EvidenceListed) -> None:
        if message.incident == self.incident_id:
            self.query_one(EvidencePane).show(message.items, message.reasons)

    def _reread_analysis(self, pending: _Pending) -> None:
        """Re-read the evidence items or the findings when the journal says they changed."""
        if pending.full or pending.evidence_changed:
            read_evidence(self.app, self, self.incident_id)
        if pending.full or pending.analysed:
            read_findings(self.app, self, self.incident_id)

    def on_mount(self) -> None:
        # A text status rather than the animated loading indicator: its 60 frames a second
        # compete with the reading thread for the interpreter.
        self.query_one("#timeline-status", Static).update(plain("reading the journal…"))
        self.read(full=True)

    def on_unmount(self) -> None:
        self.app.workers.cancel_group(self.app, "journal")

    # -- reading -------------------------------------------------------------------

    def read(self, *, full: bool = False) -> None:
        """Ask a worker for the journal: all of it, or what came after the last read."""
        after, state = (0, None) if full or self._state is None else (self._seq, self._state)
        self.app.load_journal(self, self.incident_id, after, state)

    def reading_cancelled(self) -> None:
        """Show what was read, say that it is partial, and how to get the rest."""
        self._flush_tables()
        view = self.query_one(TimelineView)
        self.query_one("#timeline-status", Static).update(
            plain(f"{view.count:,} events shown · reading cancelled (r reads again)", style="dim")
        )

    def on_journal_changed(self, message: JournalChanged) -> None:
        self.read()

    def on_note_added(self, message: NoteAdded) -> None:
        self.app.notify(f"Note added to {message.incident} (event {message.seq})", markup=False)
        self.read()

    def on_journal_read(self, message: JournalRead) -> None:
        delta = message.delta
        if delta.incident.id != self.incident_id:
            return
        if delta.after_seq and delta.after_seq != self._seq:
            self.read()  # a stale answer to an older question: ask again from where we are
            return
        full = delta.after_seq == 0
        if full:
            self._pending = _Pending(full=True)
        self._pending.add(delta)
        self._state, self._seq = delta.incident, delta.head_seq
        self._show_banner(delta.incident)
        self._show_facts(delta.incident)
        self._show_steps(delta.steps)
        self._add_timeline(delta, full, message.last)
        if message.last:
            self._flush_tables()
            self.query_one(StepCard).reload()

    def _flush_tables(self) -> None:
        """Fill the tabs' tables, and re-read the evidence and findings they changed, once
        per read, not once per slice of a long journal."""
        pending, self._pending = self._pending, _Pending()
        self._reread_analysis(pending)
        count, full = pending.counts, pending.full
        self._add_notes(pending.rows["notes"], count["notes"], full)
        self._add_subjects(pending.rows["subjects"], count["subjects"], full)
        for section in SECTIONS:
            key = section.key
            self._add_events(key, pending.rows[key], count[key], full)

    # -- showing -------------------------------------------------------------------

    def _show_banner(self, inc: Incident) -> None:
        banner = Text(no_wrap=True, overflow="ellipsis")
        banner.append(f" TLP:{inc.tlp} ", style=TLP_STYLES.get(inc.tlp, "reverse"))
        banner.append(f"  {inc.id}", style="bold")
        banner.append(f"  {inc.severity}", style="bold")
        banner.append(f"  {inc.status}  ", style="dim" if inc.status == "closed" else "")
        banner.append_text(plain(inc.title, limit=200))
        self.query_one("#banner", Static).update(banner)

    def _show_facts(self, inc: Incident) -> None:
        facts = Text()
        rows: list[tuple[str, object]] = [
            ("Title", inc.title),
            ("Severity", inc.severity),
            ("TLP", inc.tlp),
            ("Status", inc.status),
            ("Owner", inc.owner),
            ("Playbook", inc.playbook or "none"),
            ("Opened", when(inc.created)),
            ("Updated", when(inc.updated)),
            ("Accounts", len(inc.subjects)),
            ("Notes", inc.notes),
            ("Events", inc.events),
            ("Head", inc.head_hash[:16] + "…"),
        ]
        if inc.closed:
            rows.append(("Closed", when(inc.closed)))
            rows.append(("Summary", inc.summary or ""))
        for label, value in rows:
            facts.append(f"{label:<10} ", style="bold")
            facts.append_text(plain(value, limit=300))
            facts.append("\n")
        if inc.description:
            facts.append("\nDescription\n", style="bold")
            facts.append_text(plain_block(inc.description))
            facts.append("\n")
        self.query_one("#facts", Static).update(facts)

    def _show_steps(self, steps: Sequence[StepView]) -> None:
        out = Text()
        if not steps:
            out.append("No playbook steps.\n\n", style="bold")
            out.append("This incident runs no playbook yet; its steps and their state show here.")
        for step in steps:
            mark, style = STEP_MARKS.get(step.state, ("?", ""))
            out.append(f"{mark} ", style=style)
            out.append_text(plain(step.label, limit=25, style=style))
            out.append("\n")
        self.query_one("#steps", Static).update(out)

    def _add_rows(
        self,
        key: str,
        rows: Sequence[tuple[Text, ...]],
        new: int,
        full: bool,
        empty: Static | None,
    ) -> None:
        """Add the last rows of ``new`` new items (only those are built: a 100,000-note
        journal must not cost 100,000 rendered rows)."""
        table = self.query_one(f"#{key}", DataTable)
        if full:
            self._counts[key] = 0
        self._counts[key] = self._counts.get(key, 0) + new
        if full or len(rows) >= TABLE_LIMIT:
            table.clear()
            table.add_rows(rows[-TABLE_LIMIT:])
        else:
            table.add_rows(rows)
            for row_key in list(table.rows)[: max(table.row_count - TABLE_LIMIT, 0)]:
                table.remove_row(row_key)
        if empty is None:
            return
        if table.row_count == 0:
            empty.update(Text(self._empty_sentence(key)))
        elif self._counts[key] > table.row_count:
            empty.update(
                Text(
                    f"Showing the last {table.row_count:,} of {self._counts[key]:,}; "
                    "the Timeline tab lists every event."
                )
            )
        empty.display = table.row_count == 0 or self._counts[key] > table.row_count

    @staticmethod
    def _empty_sentence(key: str) -> str:
        for section in SECTIONS:
            if key == f"section-{section.key}":
                return section.empty
        return "No notes yet. Press n to add one."

    def _add_notes(self, notes: Sequence[Any], count: int, full: bool) -> None:
        rows = [
            (plain(n.seq), plain(when(n.ts)), plain(n.actor, limit=24), plain(n.text, limit=300))
            for n in notes[-TABLE_LIMIT:]
        ]
        self._add_rows("notes", rows, count, full, self.query_one("#empty-notes", Static))

    def _add_subjects(self, subjects: Sequence[Any], count: int, full: bool) -> None:
        rows = [
            (plain(s.account, limit=80), plain(when(s.ts)), plain(s.actor, limit=24), plain(s.seq))
            for s in subjects[-TABLE_LIMIT:]
        ]
        self._add_rows("subjects", rows, count, full, None)

    def _add_events(self, key: str, entries: Sequence[Any], count: int, full: bool) -> None:
        rows = [_event_row(e) for e in entries[-TABLE_LIMIT:]]
        empty = self.query_one(f"#empty-{key}", Static)
        self._add_rows(f"section-{key}", rows, count, full, empty)

    def _add_timeline(self, delta: JournalDelta, full: bool, last: bool) -> None:
        view = self.query_one(TimelineView)
        if full:
            view.replace(delta.entries)
        elif delta.entries:
            view.extend(delta.entries)
        self.query_one("#timeline-status", Static).update(
            plain(
                f"{view.count:,} events · head {delta.incident.head_hash[:16]}…"
                + ("" if last else " · loading… (ctrl+x cancels)"),
                style="dim",
            )
        )

    # -- actions -------------------------------------------------------------------

    def action_back(self) -> None:
        """Back to the incidents board."""
        self.app.pop_screen()

    def action_refresh(self) -> None:
        """Re-read the whole journal."""
        self.read(full=True)

    def action_show_tab(self, name: str) -> None:
        """Switch to a tab and focus its main widget."""
        if name not in TABS:
            return
        self.query_one(TabbedContent).active = f"tab-{name}"
        target = {
            "overview": "#notes",
            "evidence": "#evidence-items",
            "accounts": "#findings" if self.query_one(AccountsPane).findings else "#subjects",
            "clusters": "#cluster-table",
            "timeline": "#timeline",
        }.get(name, f"#section-{name}")
        self.query_one(target).focus()

    def action_timeline_end(self) -> None:
        """Show the newest event."""
        self.action_show_tab("timeline")
        self.query_one(TimelineView).action_last()

    def action_timeline_start(self) -> None:
        """Show the first event."""
        self.action_show_tab("timeline")
        self.query_one(TimelineView).action_first()

    def action_toggle_steps(self) -> None:
        """Show or hide the steps pane (hidden by default on narrow terminals)."""
        if self.has_class("-narrow"):
            self.toggle_class("-steps-open")
        else:
            self.toggle_class("-steps-closed")

    def action_add_note(self) -> None:
        """Write a note into the journal."""
        from ircli.tui.forms import NoteDialog

        self.app.push_screen(NoteDialog(self.incident_id), self._save_note)

    def _save_note(self, text: str | None) -> None:
        if text:
            self.app.append_note(self, self.incident_id, text)

    def action_verify(self) -> None:
        """Re-walk the hash chain in a worker."""
        self.app.notify(f"Verifying {self.incident_id}…", markup=False, timeout=2)
        self.app.verify_incident(self, self.incident_id)

    def on_verified(self, message: Verified) -> None:
        for report in message.result.reports:
            if report.ok:
                self.app.notify(
                    f"{report.incident}: journal verified — {report.events} events, "
                    f"head {report.head_hash[:16]}…",
                    title="Verified",
                    markup=False,
                )
            else:
                brk = report.brk
                where = f"at event {brk.seq}: {brk.reason}" if brk else ""
                self.app.notify(
                    plain(f"{report.incident}: journal BROKEN {where}").plain,
                    title="Integrity failure",
                    severity="error",
                    markup=False,
                    timeout=30,
                )


@dataclass
class _Pending:
    """Table rows of a read still streaming in; only the rows a table keeps are held."""

    full: bool = False
    rows: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    counts: Counter[str] = field(default_factory=Counter)
    evidence_changed: bool = False
    analysed: bool = False

    def add(self, delta: JournalDelta) -> None:
        """Take a slice's notes, subjects and topic events."""
        sections = delta.sections
        self.evidence_changed |= any(e.type.startswith("evidence.") for e in sections["evidence"])
        self.analysed |= any(e.type == "analysis.completed" for e in sections["clusters"])
        parts: list[tuple[str, Sequence[Any]]] = [
            ("notes", delta.notes),
            ("subjects", delta.subjects),
            *delta.sections.items(),
        ]
        for key, items in parts:
            self.counts[key] += len(items)
            kept = self.rows[key]
            kept.extend(items[-TABLE_LIMIT:])
            del kept[:-TABLE_LIMIT]


def _table(key: str, columns: Sequence[str]) -> DataTable[Text]:
    table: DataTable[Text] = DataTable(id=key, cursor_type="row", zebra_stripes=True)
    table.add_columns(*columns)
    return table


def _event_row(entry: TimelineEntry) -> tuple[Text, ...]:
    return (
        plain(entry.seq),
        plain(when(entry.ts)),
        plain(entry.actor, limit=24),
        plain(entry.type, limit=40),
        plain(entry.message, limit=200),
    )
