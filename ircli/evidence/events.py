"""The journal events of evidence pulls, and how the timeline tells them."""

from __future__ import annotations

from typing import Any

from ircli.core.timeline import describes

EVENT_TYPES = (
    "evidence.pull_started",
    "evidence.checkpoint",
    "evidence.pull_failed",
    "evidence.added",
)


@describes("evidence.pull_started", "Evidence pull started")
def _started(p: dict[str, Any]) -> str:
    q = p.get("query", {})
    scope = f" for {len(q.get('accounts') or [])} account(s)" if q.get("accounts") else ""
    return f"Started pulling {q.get('table', '')} from source {p['source']}{scope} ({p['pull_id']})"


@describes("evidence.checkpoint", "Evidence pull checkpoint")
def _checkpoint(p: dict[str, Any]) -> str:
    return (
        f"Checkpoint {p['part']} of {p['pull_id']}: {p['records']} record(s), "
        f"{p['quarantined']} quarantined"
    )


@describes("evidence.pull_failed", "Evidence pull failed")
def _failed(p: dict[str, Any]) -> str:
    return f"Pull {p['pull_id']} stopped: {p['reason']} (re-run to resume)"


@describes("evidence.added", "Evidence added")
def _added(p: dict[str, Any]) -> str:
    # Read tolerantly: other tools (and older versions) write leaner payloads.
    line = f"Evidence {p.get('evidence_id', '?')} from {p.get('source', '?')}"
    if "records" in p:
        line += f": {p['records']} record(s), {p.get('quarantined', 0)} quarantined"
    digest = p.get("parquet_sha256")
    return line + (f", parquet sha256 {str(digest)[:16]}…" if digest else "")
