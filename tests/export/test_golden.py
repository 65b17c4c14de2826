"""Golden files: every format from the fixed incident, byte for byte.

Regenerate after an intended change with ``IRCLI_UPDATE_GOLDEN=1 pytest tests/export``
and review the diff like code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ircli.services.export import export_timeline
from ircli.services.workspace import Workspace
from tests.export.fixed_incident import GOLDEN, UPDATE_GOLDEN

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "incident.jsonl": ("jsonl", {}),
    "incident.csv": ("csv", {}),
    "incident.md": ("md", {}),
    "incident.html": ("html", {}),
    "incident.timesketch.jsonl": ("timesketch-jsonl", {}),
    "incident.timesketch.csv": ("timesketch-csv", {}),
    "incident.stix.json": ("stix", {}),
    "incident.redacted.md": ("md", {"redact": True}),
    "incident.redacted.jsonl": ("jsonl", {"redact": True}),
    "incident.decisions.jsonl": (
        "jsonl",
        {"types": ["decision.recorded", "approval.granted"], "since": "2026-03-01T09:00:05Z"},
    ),
}


def check_golden(name: str, produced: bytes) -> None:
    """Compare with the golden file, or rewrite it when IRCLI_UPDATE_GOLDEN=1."""
    golden = GOLDEN / name
    if UPDATE_GOLDEN:
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(produced)
        return
    assert golden.exists(), f"no golden file {name}: run with IRCLI_UPDATE_GOLDEN=1"
    assert produced == golden.read_bytes(), f"{name} differs from its golden file"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(
    name: str, fixed_ws: Workspace, incident: str, tmp_path: Path, forum_key: str
) -> None:
    fmt, options = CASES[name]
    out = tmp_path / name
    result = export_timeline(fixed_ws, incident, fmt, out, **options)
    assert result.events > 0
    check_golden(name, out.read_bytes())


def test_same_journal_same_bytes(fixed_ws: Workspace, incident: str, tmp_path: Path) -> None:
    """Nothing random: two exports differ only by the generation time they state."""
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    export_timeline(fixed_ws, incident, "stix", first)
    export_timeline(fixed_ws, incident, "stix", second)
    assert first.read_bytes() == second.read_bytes()
