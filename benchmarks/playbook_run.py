"""Cost of the playbook engine: a whole distillation journey against the bare journal appends.

The runner re-projects the run from the journal before every move, which is what
makes it resumable at any instant. This measures what that costs: the median time of
one journey (intake → close, handlers that do nothing, approvals by three other
responders) against appending the same number of events straight to the store, both
measured here. It also times loading and validating ``distillation.yaml`` and the
projection of a run whose journal holds many unrelated events (evidence, ledger).

Run: ``.venv/bin/python benchmarks/playbook_run.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from ircli.config import Config
from ircli.playbooks.loader import load_playbook_text
from ircli.services.answers import AnswersResponder
from ircli.services.approvals import approve
from ircli.services.incidents import incident_events, open_incident
from ircli.services.playbooks import shipped_dir
from ircli.services.runs import advance, run_state, start_run
from ircli.services.steps import StepContext, StepResult, register_handler
from ircli.services.workspace import Workspace

ANSWERS: dict[str, Any] = {
    "intake": {"seeds": ["acct-1", "acct-2"], "window": "14d"},
    "exculpatory": True,
    "classify": {"option": "campaign", "rationale": "benchmark", "evidence": []},
    "notify": True,
    "close": {"summary": "benchmark"},
}
HANDLERS = (
    "evidence.pull",
    "analysis.expand",
    "analysis.assess",
    "intel.match",
    "accounts.terminate",
    "forum.report",
    "timeline.export",
)


class Nothing:
    """A handler that does no work, so only the engine's cost is measured."""

    def run(self, ctx: StepContext) -> StepResult:
        return StepResult({"alert_accounts": 1})


def journey(folder: Path) -> int:
    store = folder / "store.db"
    ws = Workspace(store, Config(), "alice")
    try:
        incident, _ = start_run(ws, "distillation", title="bench")
        for step, approvers in (("contain", ["bob", "carol"]), ("report", ["dave"]), ("", [])):
            advance(ws, incident, AnswersResponder(ANSWERS))
            for who in approvers:
                other = Workspace(store, Config(), who)
                approve(other, incident, step)
                other.close()
        return len(list(incident_events(ws, incident)))
    finally:
        ws.close()


def bare_appends(folder: Path, count: int) -> None:
    ws = Workspace(folder / "store.db", Config(), "alice")
    try:
        incident = open_incident(ws, title="bench").id
        for i in range(count - 1):
            ws.store.append(incident, "note.added", {"text": f"event {i}"}, "alice")
    finally:
        ws.close()


def timed(func: Any, *args: Any) -> tuple[float, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = func(Path(tmp), *args)
        return (time.perf_counter() - start) * 1000, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for name in HANDLERS:
        register_handler(name, Nothing())
    events = journey(Path(tempfile.mkdtemp()))  # warm-up, and the event count
    runs = [timed(journey)[0] for _ in range(args.runs)]
    bare = [timed(bare_appends, events)[0] for _ in range(args.runs)]
    journey_ms, bare_ms = statistics.median(runs), statistics.median(bare)
    print(f"bare appends of {events} events         median {bare_ms:8.1f} ms  (baseline)")
    print(
        f"distillation journey ({events} events) median {journey_ms:8.1f} ms  ratio {journey_ms / bare_ms:5.2f}x"
    )

    text = (shipped_dir() / "distillation.yaml").read_text("utf-8")
    loads = []
    for _ in range(args.runs):
        start = time.perf_counter()
        load_playbook_text(text, "distillation.yaml")
        loads.append((time.perf_counter() - start) * 1000)
    print(f"load + validate distillation.yaml   median {statistics.median(loads):8.1f} ms")

    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp) / "store.db", Config(), "alice")
        incident, _ = start_run(ws, "distillation", title="busy")
        advance(ws, incident, AnswersResponder(ANSWERS))
        projections = []
        for noise in (0, 100_000):
            if noise:
                ws.store.append_many(
                    incident, [("action.target_succeeded", {"n": i}) for i in range(noise)], "bot"
                )
            start = time.perf_counter()
            for _ in range(5):
                run_state(ws, incident)
            projections.append((time.perf_counter() - start) * 1000 / 5)
        ws.close()
    print(
        f"project the run: {projections[0]:.1f} ms; with 100,000 unrelated events in the "
        f"journal {projections[1]:.1f} ms (ratio {projections[1] / projections[0]:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
