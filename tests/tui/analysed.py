"""An incident analysed through the services, for the TUI's analysis tabs.

The analysis tests' hand-built world (every archetype, a few accounts each) is written to
Parquet once per session; each test copies it into its own store as evidence and runs
:func:`ircli.services.analysis.analyze_incident` on it, so the tabs show what the
analysis really produces (the engine itself runs once per session and world). ``hostile`` adds an account whose id and
prompts carry terminal and markup payloads.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pyarrow.parquet as pq

from ircli.services.analysis import analyze_incident
from ircli.services.incidents import open_incident
from ircli.services.workspace import Workspace

sys.path.insert(0, str(Path(__file__).parents[1] / "analysis"))

import archetypes
from world import T0, MiniWorld


def write_world(folder: Path, *, hostile: list[str] | None = None) -> dict[str, Path]:
    """The archetype world as Parquet files in ``folder`` (plus one hostile account per payload)."""
    world = archetypes.build()
    # One account per payload, named by it; each sends one prompt holding every payload
    # (one line each) from a client whose user agent is its payload.
    for i, payload in enumerate(hostile or []):
        account = world.account(f"A {payload}", "background")
        for hour in range(6):
            world.request(
                account,
                T0 + timedelta(hours=hour, minutes=i),
                "\n".join(f"P {p}" for p in hostile or []),
                user_agent=f"UA {payload}",
            )
    _stable_addresses(world)
    req, acc, rel = world.tables()
    out = {}
    for name, table in (("requests", req), ("accounts", acc), ("releases", rel)):
        out[name] = folder / f"{name}.parquet"
        pq.write_table(table, out[name])
    return out


def _stable_addresses(world: MiniWorld) -> None:
    """The world names default source IPs by Python's per-process string hash; renumber
    them by a stable one so the evidence (and every hash and id derived from it) is the
    same in every run, as snapshots need."""
    for row in world.requests:
        account = row["account_id"]
        varying = f"10.{hash(account) % 200}."
        if row["src_ip"].startswith(varying):
            stable = f"10.{zlib.crc32(account.encode()) % 200}."
            row["src_ip"] = stable + row["src_ip"][len(varying) :]


def add_evidence(ws: Workspace, incident: str, table: str, path: Path) -> None:
    """Put a Parquet file into the store the way a finished pull leaves it."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    rel = Path("evidence") / sha[:2] / f"{sha}.parquet"
    dest = ws.store.files_dir / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    rows = pq.ParquetFile(path).metadata.num_rows
    files = {"parquet": {"sha256": sha, "bytes": len(data), "path": str(rel)}}
    if table == "requests":  # two records the pull could not take, as a pull keeps them
        bad = [("field ts: not a time", b'{"ts": "yesterday"}'), ("bad JSON: unexpected end", b"{")]
        lines = b"".join(
            json.dumps(
                {"reason": why, "page": 1, "raw_b64": base64.b64encode(raw).decode()}
            ).encode()
            + b"\n"
            for why, raw in bad
        )
        digest = hashlib.sha256(lines).hexdigest()
        where = Path("evidence") / digest[:2] / f"{digest}.quarantine.jsonl"
        (ws.store.files_dir / where).parent.mkdir(parents=True, exist_ok=True)
        (ws.store.files_dir / where).write_bytes(lines)
        files["quarantine"] = {"sha256": digest, "bytes": len(lines), "path": str(where)}
    ws.store.append(
        incident,
        "evidence.added",
        {
            "evidence_id": f"EV-{table[:3].upper()}{sha[:6]}",
            "source": "lab-logs",
            "source_type": "file",
            "table": table,
            "query": {"table": table, "accounts": [], "since": None, "until": None},
            "request": {"path": f"exports/{table}.parquet"},
            "records": rows,
            "quarantined": 2 if table == "requests" else 0,
            "out_of_scope": 0,
            "pages": 1,
            "files": files,
        },
        ws.actor,
    )


_RESULTS: dict[tuple[str, ...], Any] = {}


def _analyze_once(requests: Any, accounts: Any, releases: Any = None, **kwargs: Any) -> Any:
    """The analysis engine, run once per set of evidence files (they are named by their
    sha256) per session; the run time is pinned, as the journal keeps it beside the
    analysis."""
    from ircli.analysis import engine

    key = tuple(Path(p).name for group in (requests, accounts, releases or []) for p in group)
    if key not in _RESULTS:
        result = engine.analyze(requests, accounts, releases, **kwargs)
        result.seconds = 0.0
        _RESULTS[key] = result
    return _RESULTS[key]


def analysed_incident(ws: Workspace, files: dict[str, Path]) -> str:
    """A new incident holding ``files`` as evidence, analysed through
    :func:`analyze_incident` (the engine's result is shared by tests on the same
    evidence); returns its id."""
    incident = open_incident(
        ws,
        title="CoT harvesting through a hydra cluster of trial accounts",
        severity="sev2",
        tlp="AMBER",
        subjects=["hydra-0", "hydra-1"],
    ).id
    for table in ("requests", "accounts", "releases"):
        add_evidence(ws, incident, table, files[table])
    with patch("ircli.analysis.analyze", _analyze_once):
        analyze_incident(ws, incident)
    return incident
