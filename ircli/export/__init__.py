"""Timeline exports: one writer per format, shared by the CLI, the TUI and playbooks.

A writer turns an :class:`ExportSource` (the incident's header state and a way to
stream its selected events) into text on a stream. Writers are found through the
``ircli.exporters`` entry-point group; the built-in ones are registered there too,
so a third-party format is installed exactly like ours.

Every writer streams: it may walk the events more than once (a report folds them
first, then prints the timeline), but never holds them all in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, ClassVar, Protocol, TextIO, runtime_checkable

from ircli.core.events import Event
from ircli.core.incident import Incident
from ircli.core.timeline import load_descriptions
from ircli.errors import ValidationError

GROUP = "ircli.exporters"

ALIASES = {"markdown": "md", "json": "jsonl", "timesketch": "timesketch-jsonl", "stix2": "stix"}
"""Other names people (and playbooks) use for the built-in formats."""


@dataclass(frozen=True)
class ExportSource:
    """What a writer exports: the incident, its head, and its selected events.

    ``events`` returns a fresh iterator on every call, so a writer can make two passes
    without keeping events in memory. Events are already filtered and, when
    ``redacted``, already passed through the redaction policy.
    """

    incident: Incident
    head_seq: int
    head_hash: str
    events: Callable[[], Iterator[Event]]
    generated_at: str
    generator: str
    producer: str = "ircli"
    """Who produced the export (the lab), named in STIX ``identity`` and report footers."""
    indicators: list[tuple[str, float]] = field(default_factory=list)
    """Indicator → alert and watch accounts it fired on, from the latest stored analysis."""
    redacted: bool = False
    selection: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Every event of the journal, unaltered: the hash chain verifies end to end."""
        return not self.redacted and not self.selection


@runtime_checkable
class Writer(Protocol):
    """One export format."""

    name: ClassVar[str]
    suffix: ClassVar[str]
    description: ClassVar[str]

    def write(self, source: ExportSource, out: TextIO) -> int:
        """Write the export to ``out``; returns how many events it carried."""
        ...


def _registered() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def formats() -> list[str]:
    """The names of every installed export format."""
    return sorted(_registered())


def writer_for(name: str) -> Writer:
    """The writer registered under ``name``; a readable error for an unknown format."""
    load_descriptions()  # readable timeline lines for the event types reports rely on
    registered = _registered()
    found = registered.get(name) or registered.get(ALIASES.get(name.lower(), ""))
    if found is None:
        known = ", ".join(formats()) or "none installed"
        raise ValidationError(f"unknown export format {name!r}", hint=f"one of: {known}")
    factory: Any = found.load()
    writer = factory() if isinstance(factory, type) or callable(factory) else factory
    if not isinstance(writer, Writer):
        raise ValidationError(
            f"the export format {name!r} is not a valid writer ({found.value})",
            hint="reinstall the plugin that provides it",
        )
    return writer
