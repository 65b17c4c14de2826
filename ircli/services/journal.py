"""Reading an incident's journal for live views: what changed, since when, sorted by topic.

A live view (the TUI's workspace) reads the journal once, then only the events after
the last one it saw, whenever :func:`journal_version` says another connection wrote.
Everything returned is a plain value, safe to hand from a worker thread to the UI.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ircli.core.events import Event
from ircli.core.incident import Incident, apply_event, project_incident
from ircli.core.timeline import TimelineEntry, describe
from ircli.errors import IrcliError
from ircli.services.incidents import resolve_incident_id
from ircli.services.step_states import StepView, current_step, incident_steps
from ircli.services.workspace import Workspace

__all__ = [
    "SECTIONS",
    "Incident",
    "IncidentRow",
    "JournalDelta",
    "NoteRow",
    "Section",
    "SubjectRow",
    "TimelineEntry",
    "incident_board",
    "journal_version",
    "read_journal",
    "section_of",
    "sibling",
]


@dataclass(frozen=True, slots=True)
class Section:
    """A topic of the journal (a workspace tab): which event types belong to it."""

    key: str
    title: str
    prefixes: tuple[str, ...]
    empty: str


SECTIONS: tuple[Section, ...] = (
    Section(
        "evidence",
        "Evidence",
        ("evidence.", "quarantine.", "intel.", "sighting."),
        "No evidence yet. Pulls from log and intel sources are listed here with their provenance.",
    ),
    Section(
        "accounts",
        "Accounts",
        ("subjects.", "account.", "analysis.account"),
        "No account events yet. Accounts added to the incident are journaled here.",
    ),
    Section(
        "clusters",
        "Clusters",
        ("analysis.", "cluster."),
        "No analysis yet. Linked-account clusters appear here after analysis runs.",
    ),
    Section(
        "decisions",
        "Decisions",
        ("decision.", "approval."),
        "No decisions yet. Decisions and the approvals they need are listed here.",
    ),
    Section(
        "actions",
        "Actions",
        ("action.", "report.", "ledger."),
        "No response actions yet. Terminations and Forum reports are listed here.",
    ),
)
"""The journal topics in the order the workspace shows them; first matching prefix wins."""


_SECTION_OF: dict[str, str | None] = {}


def section_of(event_type: str) -> str | None:
    """The key of the section an event type belongs to, or ``None``."""
    try:
        return _SECTION_OF[event_type]
    except KeyError:
        pass
    found = next((s.key for s in SECTIONS if event_type.startswith(s.prefixes)), None)
    if len(_SECTION_OF) < 10_000:  # event types are few; never let hostile input grow this
        _SECTION_OF[event_type] = found
    return found


@dataclass(frozen=True, slots=True)
class NoteRow:
    """One note of the incident."""

    seq: int
    ts: str
    actor: str
    text: str


@dataclass(frozen=True, slots=True)
class SubjectRow:
    """One subject account and when it joined the incident."""

    account: str
    seq: int
    ts: str
    actor: str


@dataclass(frozen=True)
class JournalDelta:
    """What the journal says after ``after_seq``: the new state and the new entries."""

    incident: Incident
    after_seq: int
    entries: list[TimelineEntry] = field(default_factory=list)
    sections: dict[str, list[TimelineEntry]] = field(default_factory=dict)
    notes: list[NoteRow] = field(default_factory=list)
    subjects: list[SubjectRow] = field(default_factory=list)
    steps: list[StepView] = field(default_factory=list)

    @property
    def head_seq(self) -> int:
        """The last event seq this delta accounts for."""
        return self.incident.events


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """One line of the incidents board."""

    id: str
    title: str
    severity: str
    tlp: str
    status: str
    accounts: int
    updated: str
    step: str

    def words(self) -> tuple[str, ...]:
        """What a filter box matches against."""
        return (self.id, self.title, self.severity, self.tlp, self.status, self.step)


BOARD_EVENT_TYPES = (
    "incident.opened",
    "incident.updated",
    "subjects.added",
    "incident.closed",
    "incident.reopened",
)
"""The events that change a board row; notes and evidence (most of a journal) do not."""


def sibling(ws: Workspace) -> Workspace:
    """A new workspace on the same store, config, actor and clock, with its own connection.

    SQLite connections belong to the thread that opened them: every worker thread
    builds its own sibling and closes it when done.
    """
    return Workspace(ws.store_path, ws.config, ws.actor, ws.clock, ws.config_path)


def journal_version(ws: Workspace) -> int:
    """A number that changes whenever another connection commits to the store."""
    return ws.store.data_version()


def incident_board(ws: Workspace) -> list[IncidentRow]:
    """Every incident, newest first, with the step it is on (blank without a playbook).

    Reads only the events that change a row plus each journal's last event, so an
    incident with 100,000 notes costs the board no more than one with none.
    """
    rows = []
    for incident in reversed(ws.store.incident_ids()):
        state = project_incident(incident, ws.store.events(incident, types=BOARD_EVENT_TYPES))
        head_seq, _ = ws.store.head(incident)
        last = next(ws.store.events(incident, after_seq=head_seq - 1), None)
        try:
            step_label = _step_label(ws, incident)
        except IrcliError as exc:  # one unreadable playbook must not hide the whole board
            step_label = f"({exc.message[:40]})"
        rows.append(
            IncidentRow(
                incident,
                state.title,
                state.severity,
                state.tlp,
                state.status,
                len(state.subjects),
                last.ts if last else state.updated,
                step_label,
            )
        )
    return rows


def _step_label(ws: Workspace, incident: str) -> str:
    step = current_step(incident_steps(ws, incident))
    return step.label if step else ""


def read_journal(
    ws: Workspace,
    incident: str,
    *,
    after_seq: int = 0,
    state: Incident | None = None,
    should_stop: Callable[[], bool] | None = None,
    limit: int | None = None,
) -> JournalDelta:
    """The incident's events after ``after_seq``, folded onto ``state`` (a copy is made).

    With ``after_seq=0`` and no ``state`` this reads the whole journal. ``should_stop``
    is asked every few hundred events; when it says yes, reading stops and the delta
    holds what was read so far (callers that cancelled discard it). ``limit`` caps the
    number of events read, so a caller can show a long journal in slices as it loads;
    :attr:`JournalDelta.head_seq` tells where the next slice starts.
    """
    incident = resolve_incident_id(ws, incident)
    if state is None or after_seq == 0:
        current, after_seq = Incident(id=incident), 0
    else:
        current = copy.deepcopy(state)
    delta = JournalDelta(current, after_seq, sections={s.key: [] for s in SECTIONS})
    events: Iterable[Event] = ws.store.events(incident, after_seq=after_seq)
    if limit is not None:
        events = itertools.islice(events, limit)
    _fold(delta, events, should_stop)
    delta.steps.extend(incident_steps(ws, incident))
    return delta


def _fold(
    delta: JournalDelta, events: Iterable[Event], should_stop: Callable[[], bool] | None
) -> None:
    state = delta.incident
    for count, event in enumerate(events):
        if should_stop is not None and count % 500 == 0 and should_stop():
            return
        known = set(state.subjects) if event.type == "subjects.added" else set()
        apply_event(state, event)
        entry = TimelineEntry(event.seq, event.ts, event.actor, event.type, describe(event))
        delta.entries.append(entry)
        key = section_of(event.type)
        if key is not None:
            delta.sections[key].append(entry)
        payload = event.payload
        if event.type == "note.added":
            delta.notes.append(NoteRow(event.seq, event.ts, event.actor, str(payload.get("text"))))
        elif event.type in ("incident.opened", "subjects.added"):
            accounts = payload.get("subjects" if event.type == "incident.opened" else "accounts")
            for account in accounts if isinstance(accounts, list) else []:
                if str(account) in known:
                    continue
                known.add(str(account))
                delta.subjects.append(SubjectRow(str(account), event.seq, event.ts, event.actor))
