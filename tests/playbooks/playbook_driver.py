"""Drives distillation.yaml from intake to close, approving as three other responders.

Used in-process by the tests and as a subprocess (``python playbook_driver.py STORE``)
that the crash test kills with SIGKILL at random instants.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ircli.config import Config
from ircli.services.answers import AnswersResponder
from ircli.services.approvals import approval_status, approve
from ircli.services.incidents import list_incidents
from ircli.services.runs import advance, start_run
from ircli.services.workspace import Workspace

ANSWERS: dict[str, Any] = {
    "intake": {"seeds": ["acct-1", "acct-2"], "window": "14d"},
    "exculpatory": True,
    "classify": [
        {"option": "more-evidence", "rationale": "Only two seeds linked so far", "evidence": []},
        {"option": "campaign", "rationale": "Shared payment fingerprints", "evidence": ["EV-1"]},
    ],
    "notify": True,
    "close": {"summary": "Campaign contained and reported"},
}
APPROVERS = {"contain": ["bob", "carol"], "report": ["dave"]}


def drive(store: Path) -> dict[str, Any]:
    """Run (or resume) the journey to the end; returns the final run state."""
    ws = Workspace(store, Config(), "alice")
    try:
        existing = list_incidents(ws)
        if existing:
            incident, _ = start_run(ws, "distillation", incident=existing[-1].id)
        else:
            incident, _ = start_run(ws, "distillation", title="Hydra cluster")
        for _ in range(10):
            outcome = advance(ws, incident, AnswersResponder(ANSWERS))
            if outcome.status == "completed":
                return outcome.state.to_dict()
            assert outcome.status == "waiting-for-approval", outcome.waiting
            step = str((outcome.waiting or {})["step"])
            for approver in APPROVERS[step]:
                state = approval_status(ws, incident, step)
                if approver not in state.granted_by:
                    other = Workspace(store, Config(), approver)
                    try:
                        approve(other, incident, step, "reviewed")
                    finally:
                        other.close()
        raise AssertionError("the journey did not finish")
    finally:
        ws.close()


if __name__ == "__main__":
    from playbook_handlers import RECORDER, register_all

    register_all()
    RECORDER.delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    drive(Path(sys.argv[1]))
