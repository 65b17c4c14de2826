"""Timeline wording comes from the ``ircli.timeline`` entry-point group, whatever a reader
happened to import: a fresh interpreter that imports only ``ircli.core.timeline`` still
describes every owner's event types in the owner's words."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points

from ircli.core import timeline

_PROBE = r"""
import json, sys
from ircli.core.events import Event
from ircli.core.timeline import describe, time_meaning
out = {}
for kind, payload in json.loads(sys.argv[1]):
    event = Event("INC-1", 2, "2026-01-01T00:00:00Z", "alice", kind, payload, "0" * 64)
    out[kind] = [describe(event), time_meaning(kind)]
print(json.dumps({"lines": out}))
"""

CASES = [
    (
        "evidence.pull_started",
        {"source": "logs", "pull_id": "P1", "query": {"table": "requests", "accounts": ["a"]}},
    ),
    ("intel.pulled", {"source": "forum", "objects": 3, "indicators": []}),
    ("playbook.started", {"playbook": "distillation", "version": "1"}),
    ("analysis.completed", {"analysis_id": "A1", "summary": {"accounts": 7, "clusters": 2}}),
    ("action.stopped", {"step": "contain", "reason": "cancelled"}),
]


def _probe() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(CASES)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_group_names_every_module_that_describes_events() -> None:
    names = {point.value for point in entry_points(group=timeline.GROUP)}
    assert {
        "ircli.actions.ledger",
        "ircli.evidence.events",
        "ircli.intel.events",
        "ircli.playbooks.journal",
        "ircli.services.analysis",
        "ircli.export.describers",
    } <= names


def test_fresh_reader_gets_the_owners_wording() -> None:
    result = _probe()
    lines = result["lines"]
    assert isinstance(lines, dict)
    # None falls back to the bare type name ("evidence pull_started"): each is described.
    for kind, (line, _meaning) in lines.items():
        assert line != kind.replace(".", " "), kind
    # The owner's wording (services.analysis) wins over the report fallback.
    assert lines["analysis.completed"][0].startswith("Analysis A1: 7 accounts")
    assert "2 clusters" in lines["analysis.completed"][0]
    assert lines["evidence.pull_started"][1] == "Evidence pull started"
    assert lines["action.stopped"][1] == "Action run stopped"


def test_a_broken_plugin_is_skipped_not_fatal(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    class Broken:
        name = "broken"
        value = "ircli_missing_plugin.events"

        def load(self) -> None:
            raise ImportError("no module named ircli_missing_plugin")

    monkeypatch.setattr(timeline, "_loaded", False)
    monkeypatch.setattr("importlib.metadata.entry_points", lambda group: [Broken()])
    timeline.load_descriptions()  # logs a warning, raises nothing
    assert timeline._loaded
