"""The timeline: a virtual list that renders only the lines on screen.

A DataTable builds a row object per event; with 100,000 events that costs seconds.
This widget keeps the plain entries and formats the few dozen visible lines on
each render (Textual's Line API), so opening and scrolling cost the same at any size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ircli.core.text import inert
from ircli.services.journal import TimelineEntry
from ircli.tui.actions import bindings
from ircli.tui.plain import when

PREFIX_WIDTH = 7 + 2 + 19 + 2 + 12 + 2
TIMELINE_HEADER = f"{'Seq':>7}  {'When (UTC)':<19}  {'By':<12}  What"


class TimelineView(ScrollView, can_focus=True):
    """Every journal event of an incident, one line each, with a cursor."""

    BINDINGS = bindings("timeline")
    COMPONENT_CLASSES: ClassVar[set[str]] = {"timeline--cursor", "timeline--meta"}

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._entries: list[TimelineEntry] = []
        self._widest = 0

    @property
    def count(self) -> int:
        """How many events are listed."""
        return len(self._entries)

    def entry(self, index: int) -> TimelineEntry:
        """The entry at ``index`` (0 is the first event)."""
        return self._entries[index]

    def replace(self, entries: Sequence[TimelineEntry]) -> None:
        """Show exactly ``entries`` (a fresh read of the journal)."""
        self._entries = list(entries)
        self._widest = 0
        self._measure(self._entries)
        self.cursor = min(self.cursor, max(len(self._entries) - 1, 0))
        self._resize()

    def extend(self, entries: Sequence[TimelineEntry]) -> None:
        """Append new events; a cursor on the last line follows them."""
        following = self.cursor >= len(self._entries) - 1
        self._entries.extend(entries)
        self._measure(entries)
        self._resize()
        if following and self._entries:
            self.cursor = len(self._entries) - 1

    def _measure(self, entries: Sequence[TimelineEntry]) -> None:
        widest = max((len(e.message) for e in entries), default=0)
        self._widest = max(self._widest, PREFIX_WIDTH + widest)

    def _resize(self) -> None:
        self.virtual_size = Size(self._widest, len(self._entries))
        self.refresh()

    def watch_cursor(self, old: int, new: int) -> None:
        self.scroll_to_region_if_needed(new)
        self.refresh()

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._entries) - 1))

    def scroll_to_region_if_needed(self, row: int) -> None:
        """Scroll so that ``row`` is visible."""
        top = int(self.scroll_offset.y)
        height = self.scrollable_content_region.height or 1
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False)

    def action_cursor(self, step: int) -> None:
        """Move the cursor ``step`` lines."""
        self.cursor += step

    def action_page(self, pages: int) -> None:
        """Move the cursor ``pages`` screens."""
        self.cursor += pages * max(self.scrollable_content_region.height - 1, 1)

    def action_first(self) -> None:
        """Go to the first event."""
        self.cursor = 0

    def action_last(self) -> None:
        """Go to the newest event."""
        self.cursor = len(self._entries) - 1

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self._entries):
            return Strip.blank(width, self.rich_style)
        entry = self._entries[index]
        base = self.rich_style
        meta = base + self.get_component_rich_style("timeline--meta", partial=True)
        prefix = f"{entry.seq:>7}  {when(entry.ts):<19}  {inert(entry.actor, limit=12):<12}  "
        segments = [Segment(prefix, meta), Segment(inert(entry.message), base)]
        strip = Strip(segments).crop(scroll_x, scroll_x + width).extend_cell_length(width, base)
        if index == self.cursor:
            strip = strip.apply_style(self._cursor_style())
        return strip

    def _cursor_style(self) -> Style:
        return self.get_component_rich_style("timeline--cursor", partial=True)
