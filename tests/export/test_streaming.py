"""Writers stream: memory does not grow with the number of events exported."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator

import pytest

from ircli.core.events import GENESIS_HASH, Event, seal
from ircli.core.incident import Incident
from ircli.export import ExportSource, writer_for

TYPES = ("note.added", "action.target_succeeded", "evidence.added", "decision.recorded")


def synthetic(count: int) -> Iterator[Event]:
    """``count`` chained events, generated on the fly (never a list)."""
    prev = GENESIS_HASH
    for seq in range(1, count + 1):
        # Mostly timeline-only events; report rows (capped per section) stay few.
        type_ = TYPES[2 + seq // 50 % 2] if seq % 50 == 0 else TYPES[seq % 2]
        payload = {"text": f"note {seq} " + "x" * 200, "target": f"acct-{seq}", "action_id": "A"}
        event = seal(
            "INC-0001",
            seq,
            f"2026-03-{1 + seq // 5000:02d}T09:00:00.000000Z",
            "alice",
            type_,
            payload,
            prev,
        )
        prev = event.hash
        yield event


class _Sink(io.TextIOBase):
    """Counts what is written and keeps nothing, like a file on disk."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, text: str) -> int:
        self.size += len(text)
        return len(text)


def _peak(fmt: str, count: int) -> tuple[int, int]:
    source = ExportSource(
        incident=Incident(id="INC-0001"),
        head_seq=count,
        head_hash="f" * 64,
        events=lambda: synthetic(count),
        generated_at="2026-03-09T00:00:00.000000Z",
        generator="test",
    )
    writer, sink = writer_for(fmt), _Sink()
    tracemalloc.start()
    try:
        writer.write(source, sink)  # type: ignore[arg-type]
        return tracemalloc.get_traced_memory()[1], sink.size
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("fmt", "few"),
    [
        ("jsonl", 300),
        ("csv", 300),
        ("md", 300),
        ("html", 300),
        ("timesketch-jsonl", 300),
        ("stix", 60),
    ],  # stix2 builds each object slowly under tracemalloc
)
def test_memory_does_not_grow_with_events(fmt: str, few: int) -> None:
    small, small_out = _peak(fmt, few)
    large, large_out = _peak(fmt, few * 5)
    assert large_out > 3.5 * small_out  # five times the events really were written
    # Held in memory: the report's capped rows and counters, never the events themselves.
    assert large < small * 1.5 + 300_000, f"{fmt}: peak {small} -> {large} bytes"
