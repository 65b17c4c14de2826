"""Intel and report events read as sentences in a fresh process's timeline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ircli.config import Config
from ircli.services.incidents import open_incident
from ircli.services.workspace import Workspace


def test_a_fresh_process_describes_intel_and_report_events(tmp_path: Path) -> None:
    store = tmp_path / "fresh.db"
    with Workspace(store, Config(), "alice") as ws:
        inc = open_incident(ws, title="x").id
        ws.store.append(
            inc,
            "intel.sighting",
            {
                "indicator": "indicator--1",
                "source_name": "Other Lab",
                "accounts_total": 2,
                "count": 5,
            },
            "alice",
        )
        ws.store.append(
            inc,
            "report.submitted",
            {"bundle": "indicators", "status_id": "s-1", "success_count": 4, "failure_count": 1},
            "alice",
        )
    out = subprocess.run(
        [sys.executable, "-m", "ircli", "--store", str(store), "incident", "show", inc],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Sighted indicator--1 from Other Lab: 2 account(s), 5 record(s)" in out
    assert "Forum accepted 4 indicators object(s), 1 failed (status s-1)" in out


def test_importing_the_intel_services_pulls_in_no_http_or_stix() -> None:
    code = (
        "import sys, ircli.services.intel, ircli.services.forum, ircli.cli.intel, ircli.cli.report;"
        "print(sorted(m for m in ('httpx', 'stix2', 'duckdb', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
