"""The ledger: where each target of an action stands, folded from the journal.

Per target: ``pending → in_flight → succeeded | failed(reason) | skipped(reason)``.
A target counts as ``pending`` until its ``action.target_started`` event; a run that
stops after that event but before the outcome leaves it ``in_flight``, and the next run
re-sends it with the same idempotency key. The ledger of a step and mode spans every
run and every preview: a target that succeeded once is never acted on again — until the
opposite mode succeeds on it (a rollback reactivates an account, or a new apply deactivates
a reactivated one). That starts a new *round* for the target: it is pending again, its calls
carry a new idempotency key, and the step needs a new preview and new approvals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ircli.core.events import Event
from ircli.core.timeline import describes

REQUESTED = "action.requested"
STARTED = "action.target_started"
SUCCEEDED = "action.target_succeeded"
FAILED = "action.target_failed"
SKIPPED = "action.target_skipped"
COMPLETED = "action.completed"
STOPPED = "action.stopped"

TARGET_TYPES = (STARTED, SUCCEEDED, FAILED, SKIPPED)
LEDGER_TYPES = (REQUESTED, *TARGET_TYPES, COMPLETED, STOPPED)
FINAL = ("succeeded", "skipped")
"""States a re-run leaves alone; everything else is processed again."""

_STATE_OF = {STARTED: "in_flight", SUCCEEDED: "succeeded", FAILED: "failed", SKIPPED: "skipped"}


@dataclass(slots=True)
class TargetState:
    """One target's place in the ledger."""

    account: str
    state: str = "pending"
    key: str = ""
    reason: str = ""
    effect: str = ""
    permanent: bool = False
    starts: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        out: dict[str, Any] = {"account": self.account, "state": self.state}
        for name in ("key", "reason", "effect"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.state == "failed":
            out["permanent"] = self.permanent
        return out


@dataclass(slots=True)
class Ledger:
    """The ledger of one step in one mode (``apply`` or ``rollback``)."""

    step: str
    mode: str
    request: dict[str, Any] | None = None
    """The latest ``action.requested`` payload (preview and hash)."""
    requester: str | None = None
    targets: dict[str, TargetState] = field(default_factory=dict)
    runs: int = 0
    stopped: str | None = None
    rounds: dict[str, int] = field(default_factory=dict)
    """Per target, how many times the opposite mode undid this mode's success."""
    undone: int = 0
    """Targets undone so far, all rounds together (new previews include it)."""
    undone_at_request: int = 0
    """``undone`` when the latest preview was requested: less than ``undone`` means that
    preview's targets were undone since, so it can no longer be acted on as approved."""

    def state_of(self, account: str) -> TargetState:
        """The target's state (``pending`` when the ledger has never seen it)."""
        return self.targets.get(account) or TargetState(account)

    def todo(self, accounts: Sequence[str]) -> list[tuple[str, bool]]:
        """Accounts still to process, each with whether it was left in flight."""
        out = []
        for account in accounts:
            current = self.targets.get(account)
            if current is None:
                out.append((account, False))
            elif current.state not in FINAL:
                out.append((account, current.state == "in_flight"))
        return out

    def counts(self, accounts: Sequence[str] | None = None) -> dict[str, int]:
        """How many targets are in each state (of ``accounts``, or of all seen)."""
        names = accounts if accounts is not None else list(self.targets)
        out = {"pending": 0, "in_flight": 0, "succeeded": 0, "failed": 0, "skipped": 0}
        for account in names:
            out[self.state_of(account).state] += 1
        return out

    def round_of(self, account: str) -> int:
        """How many times the target's success in this mode was undone."""
        return self.rounds.get(account, 0)

    def apply(self, kind: str, payload: dict[str, Any], actor: str = "") -> None:
        """Fold one event (also used live, as a run writes its events)."""
        if payload.get("step") != self.step:
            return
        if payload.get("mode", "apply") != self.mode:
            if kind == SUCCEEDED:
                self._undo(str(payload.get("account_id", payload.get("account", ""))))
            return
        if kind == REQUESTED:
            self.request = payload
            self.requester = actor
            self.undone_at_request = self.undone
        elif kind in _STATE_OF:
            account = str(payload.get("account_id", payload.get("account", "")))
            current = self.targets.get(account)
            if current is None:
                current = self.targets[account] = TargetState(account)
            current.state = _STATE_OF[kind]
            if kind == STARTED:
                current.key = str(payload.get("key", current.key))
                current.starts += 1
            else:
                current.reason = str(payload.get("reason", ""))
                current.effect = str(payload.get("effect", ""))
                current.permanent = bool(payload.get("permanent", False))
        elif kind == COMPLETED:
            self.runs += 1
            self.stopped = None
        elif kind == STOPPED:
            self.stopped = str(payload.get("reason", ""))

    def _undo(self, account: str) -> None:
        current = self.targets.get(account)
        if current is not None and current.state == "succeeded":
            del self.targets[account]
            self.rounds[account] = self.rounds.get(account, 0) + 1
            self.undone += 1

    def succeeded(self) -> list[TargetState]:
        """Targets that succeeded, in the order they first appeared."""
        return [t for t in self.targets.values() if t.state == "succeeded"]


def project_ledger(events: Iterable[Event], step: str, mode: str) -> Ledger:
    """Fold the journal's action events of ``step``/``mode`` into a ledger."""
    ledger = Ledger(step, mode)
    for event in events:
        ledger.apply(event.type, event.payload, event.actor)
    return ledger


def _account(p: dict[str, Any]) -> str:
    """The target's account id; a payload without one gets the timeline's generic line
    (``describe`` falls back on ``KeyError``) rather than "None"."""
    account = p.get("account_id", p.get("account"))
    if account is None:
        raise KeyError("account")
    return str(account)


def _verb(p: dict[str, Any]) -> str:
    return "Rollback of" if p.get("mode") == "rollback" else "Action"


@describes(REQUESTED, "Action requested")
def _requested(p: dict[str, Any]) -> str:
    preview = p.get("preview", {})
    return (
        f"{_verb(p)} '{p.get('step')}' previewed: {len(preview.get('targets', []))} target(s), "
        f"{len(preview.get('excluded', []))} excluded (preview {str(p.get('preview_hash'))[:12]})"
    )


@describes(STARTED, "Action target started")
def _started(p: dict[str, Any]) -> str:
    return f"{_account(p)}: in flight ({p.get('step')}, key {str(p.get('key'))[:18]}…)"


@describes(SUCCEEDED, "Action target succeeded")
def _succeeded(p: dict[str, Any]) -> str:
    return f"{_account(p)}: {p.get('effect') or 'succeeded'} ({p.get('step')})"


@describes(FAILED, "Action target failed")
def _failed(p: dict[str, Any]) -> str:
    kind = "permanent" if p.get("permanent") else "transient"
    return f"{_account(p)}: failed ({kind}): {p.get('reason')}"


@describes(SKIPPED, "Action target skipped")
def _skipped(p: dict[str, Any]) -> str:
    return f"{_account(p)}: skipped: {p.get('reason')}"


@describes(COMPLETED, "Action run completed")
def _completed(p: dict[str, Any]) -> str:
    totals = p.get("totals", {})
    parts = ", ".join(f"{totals[k]} {k}" for k in sorted(totals))
    return f"{_verb(p)} '{p.get('step')}' run finished: {parts}"


@describes(STOPPED, "Action run stopped")
def _stopped(p: dict[str, Any]) -> str:
    return f"{_verb(p)} '{p.get('step')}' stopped early: {p.get('reason')}"
