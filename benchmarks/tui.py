"""TUI speed (DESIGN §15): first frame under 600 ms; an incident with 100,000 timeline
events opens and scrolls to its end without stalls.

Every figure is printed next to a baseline measured in the same run:

- first frame: ``ircli``'s app (started as ``ircli tui`` starts it) against a bare Textual
  app with one label, both launched headless in a fresh interpreter and timed from
  process start to the first idle screen, then to the incidents on the board;
- the Accounts tab on an analysis of 24,000 accounts (show, sort, filter by verdict and
  by cluster, clear) against a bare DataTable filled as often with the rows it shows;
- opening a 100,000-event incident: against reading the same journal through the
  service alone (the floor), and scrolling against a DataTable holding the same rows
  (the widget this virtual list replaces).

Run: ``.venv/bin/python benchmarks/tui.py [--events N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

GOAL_FIRST_FRAME_MS = 600.0

# The first frame is the first screen update the app hands its driver (headless drivers
# drop it, but it is composed and rendered in full). Waiting for the pilot to see the app
# idle would also wait for work the app does in the background after that frame.
FIRST_FRAME = """
import time
from textual.app import App
_display = App._display
def _first_frame(self, screen, renderable):
    if renderable is not None and not self._batch_count and not getattr(self, "_painted", 0):
        self._painted = 1
        print("READY", time.time(), flush=True)
    return _display(self, screen, renderable)
App._display = _first_frame
"""

CHILD_BARE = (
    FIRST_FRAME
    + """
from textual.widgets import Label
class Bare(App):
    def compose(self):
        yield Label("ready")
async def pilot(p):
    await p.pause()
    await p.exit(None)
Bare().run(headless=True, size=(80, 24), auto_pilot=pilot)
"""
)

# Started the way `ircli tui` starts it: the workspace (and so the configuration) is
# resolved by the app in a worker, after the first frame.
CHILD_IRCLI = (
    FIRST_FRAME
    + """
import asyncio, sys
from functools import partial
from ircli.services.workspace import Workspace
from ircli.tui.app import IrcliApp
async def pilot(p):
    await p.pause()
    table = p.app.screen.query_one("#incidents")
    while table.row_count == 0:
        await asyncio.sleep(0.005)
    print("BOARD", time.time(), flush=True)
    await p.exit(None)
app = IrcliApp(partial(Workspace.from_environment, store=sys.argv[1], actor="bench"), live=False)
app.run(headless=True, size=(80, 24), auto_pilot=pilot)
"""
)


def _launch(code: str, *args: str) -> dict[str, float]:
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    ).stdout
    marks = {}
    for line in out.splitlines():
        name, _, stamp = line.partition(" ")
        if name in ("READY", "BOARD"):
            marks[name] = (float(stamp) - start) * 1000
    return marks


def first_frame(store: Path, runs: int) -> None:
    _launch(CHILD_BARE)  # warm the OS caches once
    _launch(CHILD_IRCLI, str(store))
    bare = statistics.median(_launch(CHILD_BARE)["READY"] for _ in range(runs))
    samples = [_launch(CHILD_IRCLI, str(store)) for _ in range(runs)]
    ready = statistics.median(s["READY"] for s in samples)
    board = statistics.median(s["BOARD"] for s in samples)
    print(f"bare Textual app, first frame   median {bare:7.1f} ms  (baseline)")
    print(f"ircli, first frame (home)       median {ready:7.1f} ms  ratio {ready / bare:5.2f}x")
    print(f"ircli, incidents on the board   median {board:7.1f} ms  ratio {board / bare:5.2f}x")
    verdict = "meets" if ready < GOAL_FIRST_FRAME_MS else "MISSES"
    print(f"goal: first frame under {GOAL_FIRST_FRAME_MS:.0f} ms: {verdict}")


def build_store(path: Path, events: int) -> str:
    from ircli.config import Config
    from ircli.core.clock import FixedClock
    from ircli.services.incidents import open_incident
    from ircli.services.workspace import Workspace

    clock = FixedClock(datetime(2026, 3, 1, tzinfo=UTC))
    with Workspace(path, Config(), "bench", clock) as ws:
        open_incident(ws, title="Small incident")
        state = open_incident(ws, title="A long incident", subjects=["acct-1"])
        batch = 5_000
        for start in range(0, events - 1, batch):
            items = [
                ("note.added", {"text": f"observation {i}: 26 requests/day from exit {i % 250}"})
                for i in range(start, min(start + batch, events - 1))
            ]
            ws.store.append_many(state.id, items, "bench")
        return state.id


async def open_and_scroll(store: Path, incident: str, events: int) -> tuple[float, float]:
    from ircli.config import Config
    from ircli.services.workspace import Workspace
    from ircli.tui.app import IrcliApp
    from ircli.tui.timeline import TimelineView

    app = IrcliApp(Workspace(store, Config(), "bench"), live=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        start = time.perf_counter()
        app.open_incident(incident)
        await pilot.pause()
        view = app.screen.query_one(TimelineView)
        while view.count < events:
            await asyncio.sleep(0.01)  # not pilot.pause: its screen waits would steal the CPU
        await pilot.pause()
        opened = time.perf_counter() - start
        start = time.perf_counter()
        await pilot.press("7", "end")
        await pilot.pause()
        assert view.cursor == events - 1, view.cursor
        for _ in range(20):  # and back up a few pages: each one renders a fresh screen
            await pilot.press("pageup")
        await pilot.pause()
        scrolled = time.perf_counter() - start
    return opened, scrolled


async def datatable_scroll(store: Path, incident: str) -> float:
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from ircli.config import Config
    from ircli.services.incidents import incident_timeline
    from ircli.services.workspace import Workspace

    with Workspace(store, Config(), "bench") as ws:
        entries = list(incident_timeline(ws, incident))

    class Table(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

    app = Table()
    async with app.run_test(size=(160, 48)) as pilot:
        start = time.perf_counter()
        table = app.query_one(DataTable)
        table.add_columns("seq", "ts", "actor", "message")
        table.add_rows(
            (Text(str(e.seq)), Text(e.ts), Text(e.actor), Text(e.message)) for e in entries
        )
        table.focus()
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        for _ in range(20):
            await pilot.press("pageup")
        await pilot.pause()
        return time.perf_counter() - start


def _findings(accounts: int) -> object:
    import random

    from ircli.services.findings import AccountFinding, Findings

    rng = random.Random(7)
    verdicts = ("alert", "watch", "policy", "clear")
    reason = "[content] 91% of prompts ask for step-by-step reasoning (peer percentile 99%)"
    rows = tuple(
        AccountFinding(
            f"acct-{i:06d}",
            rng.choice(verdicts),
            round(rng.random(), 4),
            f"CL-{rng.randrange(accounts // 8):010x}" if rng.random() < 0.8 else None,
            rng.randrange(5_000),
            ("alert: …", reason),
        )
        for i in range(accounts)
    )
    return Findings("INC-0001", "AN-00000000", 1, {}, rows, (), {})


async def findings_table(accounts: int) -> tuple[float, float]:
    """Seconds for: the Accounts tab's table showing, re-sorting, filtering (by verdict
    and by cluster) and clearing an analysis of ``accounts`` accounts; and for a bare
    DataTable filled five times with the same number of rows the tab shows (its floor)."""
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from ircli.tui.accounts import AccountsPane
    from ircli.tui.findings import ROW_LIMIT

    findings = _findings(accounts)

    class Tab(App[None]):
        def compose(self) -> ComposeResult:
            yield AccountsPane("INC-0001")
            yield DataTable(id="bare")

    app = Tab()
    async with app.run_test(size=(160, 48)) as pilot:
        pane = app.query_one(AccountsPane)
        steps = (
            lambda: pane.show(findings),  # type: ignore[arg-type]
            lambda: pane.sort_by("score"),
            lambda: pane.filter_by(verdict="alert"),
            lambda: pane.filter_by(cluster="CL-00"),
            lambda: pane.filter_by(verdict="", cluster=""),
        )
        start = time.perf_counter()
        for step in steps:
            step()
            await pilot.pause()
        ours = time.perf_counter() - start
        bare = app.query_one("#bare", DataTable)
        shown = [
            (
                Text(a.verdict),
                Text(f"{a.score:.2f}"),
                Text(a.account),
                Text(a.cluster or ""),
                Text(str(a.requests)),
                Text(a.top_reason),
            )
            for a in findings.accounts[:ROW_LIMIT]
        ]  # type: ignore[attr-defined]
        start = time.perf_counter()
        for _ in steps:
            bare.clear(columns=True)
            bare.add_columns("Verdict", "Score", "Account", "Cluster", "Reqs", "Top reason")
            bare.add_rows(shown)
            await pilot.pause()
        floor = time.perf_counter() - start
    return ours, floor


def read_only(store: Path, incident: str) -> float:
    from ircli.config import Config
    from ircli.services.journal import read_journal
    from ircli.services.workspace import Workspace

    with Workspace(store, Config(), "bench") as ws:
        start = time.perf_counter()
        read_journal(ws, incident)
        return time.perf_counter() - start


def findings(accounts: int) -> None:
    ours, floor = asyncio.run(findings_table(accounts))
    print(f"DataTable: the same rows, 5 fills       {floor * 1000:9.1f} ms  (baseline)")
    print(
        f"Accounts tab, {accounts:,} accounts: show, sort, 2 filters, clear "
        f"{ours * 1000:9.1f} ms  ratio {ours / floor:5.2f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--first-frame-only", action="store_true", help="Skip the 100,000-event measurements."
    )
    parser.add_argument("--accounts", type=int, default=24_000, help="Accounts in the findings.")
    parser.add_argument(
        "--findings-only", action="store_true", help="Only the Accounts tab's findings table."
    )
    args = parser.parse_args()
    if args.findings_only:
        findings(args.accounts)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store.db"
        start = time.perf_counter()
        incident = build_store(store, 2 if args.first_frame_only else args.events)
        size = 2 if args.first_frame_only else args.events
        print(f"(built a store with {size:,} events in {time.perf_counter() - start:.1f} s)")
        first_frame(store, args.runs)
        if args.first_frame_only:
            return 0
        findings(args.accounts)
        floor = read_only(store, incident)
        opened, scrolled = asyncio.run(open_and_scroll(store, incident, args.events))
        table = asyncio.run(datatable_scroll(store, incident))
        print(f"read {args.events:,} events via services  {floor * 1000:9.1f} ms  (baseline)")
        print(
            f"open the incident in the TUI        {opened * 1000:9.1f} ms  "
            f"ratio {opened / floor:5.2f}x"
        )
        print(f"DataTable: fill, end, 20 pages up   {table * 1000:9.1f} ms  (baseline)")
        print(
            f"timeline: end, 20 pages up          {scrolled * 1000:9.1f} ms  "
            f"ratio {scrolled / table:5.3f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
