"""Deterministic step handlers standing in for the evidence, analysis, action and export plugins."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ircli.services.steps import StepContext, StepResult, register_handler


@dataclass
class Recorder:
    """Remembers every call so tests can assert what ran, with which parameters."""

    calls: list[tuple[str, str, int, dict[str, Any]]] = field(default_factory=list)
    delay: float = 0.0


RECORDER = Recorder()


class FakeHandler:
    """Returns outputs computed only from the step's parameters (idempotent by construction)."""

    def __init__(self, name: str, outputs: dict[str, Any], *, preview: bool = False) -> None:
        self.name = name
        self.outputs = outputs
        if preview:
            self.preview = self._preview

    def _preview(self, ctx: StepContext) -> Any:
        return {"targets": sorted(ctx.variables["incident"]["subjects"]), "params": ctx.params}

    def run(self, ctx: StepContext) -> StepResult:
        RECORDER.calls.append((self.name, ctx.step.id, ctx.visit, dict(ctx.params)))
        if RECORDER.delay:
            time.sleep(RECORDER.delay)
        ctx.progress(1.0, f"{self.name} done")
        return StepResult(dict(self.outputs), summary=f"{self.name} ran")


HANDLERS = {
    "evidence.pull": FakeHandler("evidence.pull", {"records": 1200, "evidence_id": "EV-0001"}),
    "analysis.expand": FakeHandler("analysis.expand", {"cluster_id": "C-1", "accounts": 42}),
    "analysis.assess": FakeHandler(
        "analysis.assess", {"alert_accounts": 40, "watch_accounts": 2, "cluster_id": "C-1"}
    ),
    "intel.match": FakeHandler("intel.match", {"sightings": 3}),
    "accounts.terminate": FakeHandler("accounts.terminate", {"terminated": 40}, preview=True),
    "accounts.restrict": FakeHandler("accounts.restrict", {"restricted": 5}, preview=True),
    "forum.report": FakeHandler("forum.report", {"status_id": "st-1"}, preview=True),
    "timeline.export": FakeHandler("timeline.export", {"file": "report.html"}),
}


def register_all() -> None:
    """Register every fake handler in this process."""
    for name, handler in HANDLERS.items():
        register_handler(name, handler)
