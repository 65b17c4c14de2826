"""Small typed messages workers post to screens (never widgets or store objects)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from ircli.services.incidents import VerifyResult
from ircli.services.journal import IncidentRow, JournalDelta


@dataclass
class BoardLoaded(Message):
    """The incidents board was read."""

    rows: list[IncidentRow]


@dataclass
class JournalRead(Message):
    """A slice of one incident's events was read (from the start when ``delta.after_seq``
    is 0); ``last`` is true for the slice that reached the end of the journal."""

    delta: JournalDelta
    last: bool = True


@dataclass
class IncidentCreated(Message):
    """A new incident was opened from the form."""

    incident: str


@dataclass
class NoteAdded(Message):
    """A note was appended."""

    incident: str
    seq: int


@dataclass
class Verified(Message):
    """The hash chain of an incident was re-walked."""

    result: VerifyResult


@dataclass
class JournalChanged(Message, bubble=False):
    """Another connection (another process, or one of our workers) wrote to the store."""

    version: int

    def can_replace(self, message: Message) -> bool:
        # Only the latest change matters: a burst of writes refreshes once.
        return isinstance(message, JournalChanged)


@dataclass
class PlaybooksListed(Message):
    """The valid playbooks a responder can start: ``(name, title)`` each."""

    playbooks: list[tuple[str, str]]
