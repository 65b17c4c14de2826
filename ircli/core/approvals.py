"""The two-person rule: N-of-M approvals by distinct actors, bound to what they approve.

An approval is granted for a *subject*: the hash of exactly what was approved (a
decision with its rationale, a dry-run preview's target list, a report bundle).
When the subject changes, earlier approvals no longer count. The requester never
approves their own request, and one actor counts once per step.

Journal events (payloads):

- ``approval.requested``: ``{"step", "subject", "required", "from", "summary"}``
- ``approval.granted``:   ``{"step", "subject", "comment"}``
- ``approval.rejected``:  ``{"step", "subject", "comment"}``
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ircli.core.canonical import canonical_json, sha256_hex
from ircli.core.events import Event
from ircli.errors import RefusedError, ValidationError


def approval_subject(value: Any) -> str:
    """The hash that binds approvals to exactly this value."""
    return sha256_hex(canonical_json(value))


@dataclass(frozen=True, slots=True)
class ApprovalRule:
    """``required`` distinct approvers, each a named actor or a member of a listed role
    (``allowed`` empty: any responder other than the requester)."""

    required: int = 1
    allowed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.required < 1:
            raise ValidationError("approvals.required must be at least 1")

    def admits(self, actor: str, roles: Mapping[str, Sequence[str]]) -> bool:
        """Whether ``actor`` may approve under this rule."""
        if not self.allowed:
            return True
        return any(actor == entry or actor in roles.get(entry, ()) for entry in self.allowed)


@dataclass(slots=True)
class ApprovalState:
    """Where one step's approvals stand for its current subject."""

    step: str
    subject: str | None
    requester: str | None
    required: int
    granted_by: list[str] = field(default_factory=list)
    rejected_by: list[str] = field(default_factory=list)
    stale: int = 0
    """Approvals given to an earlier subject, which no longer count."""

    @property
    def satisfied(self) -> bool:
        """Enough distinct approvals and no rejection of the current subject."""
        return not self.rejected_by and len(self.granted_by) >= self.required

    @property
    def missing(self) -> int:
        """How many more approvals are needed."""
        return max(self.required - len(self.granted_by), 0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "step": self.step,
            "subject": self.subject,
            "requester": self.requester,
            "required": self.required,
            "granted_by": list(self.granted_by),
            "rejected_by": list(self.rejected_by),
            "missing": self.missing,
            "satisfied": self.satisfied,
            "stale_approvals": self.stale,
        }


def approval_state(events: Iterable[Event], step: str) -> ApprovalState:
    """Fold the approval events of ``step``; only the latest request's subject counts."""
    state = ApprovalState(step, None, None, 1)
    for event in events:
        payload = event.payload
        if payload.get("step") != step:
            continue
        if event.type == "approval.requested":
            if state.subject is not None and payload.get("subject") != state.subject:
                state.stale += len(state.granted_by)
                state.granted_by, state.rejected_by = [], []
            state.subject = str(payload.get("subject"))
            state.requester = event.actor
            state.required = int(payload.get("required", 1))
        elif event.type in ("approval.granted", "approval.rejected"):
            if payload.get("subject") != state.subject:
                state.stale += 1
                continue
            bucket = state.granted_by if event.type == "approval.granted" else state.rejected_by
            if event.actor not in bucket:
                bucket.append(event.actor)
    return state


def check_can_approve(
    state: ApprovalState,
    actor: str,
    rule: ApprovalRule,
    *,
    subject: str | None = None,
    roles: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Raise :class:`RefusedError` unless ``actor`` may approve ``state`` now.

    ``subject``, when given, is what the approver saw; approving anything other than
    the current subject is refused (the request changed under them).
    """
    if state.subject is None:
        raise RefusedError(
            f"step '{state.step}' has no pending request to approve",
            hint="list what waits with: ircli approvals",
        )
    if subject is not None and subject != state.subject:
        raise RefusedError(
            f"the request for step '{state.step}' changed after you reviewed it",
            hint="review the current request again, then approve",
        )
    if actor == state.requester:
        raise RefusedError(
            f"{actor} requested step '{state.step}' and cannot also approve it (two-person rule)",
            hint="ask another responder to approve: ircli approve ... --as NAME",
        )
    if actor in state.granted_by:
        raise RefusedError(
            f"{actor} already approved step '{state.step}'; approvals must come from distinct people",
            hint=f"{state.missing} more approval(s) needed from someone else",
        )
    if actor in state.rejected_by:
        raise RefusedError(f"{actor} already rejected step '{state.step}'")
    if not rule.admits(actor, roles or {}):
        allowed = ", ".join(rule.allowed)
        raise RefusedError(
            f"{actor} may not approve step '{state.step}' (allowed: {allowed})",
            hint="ask a responder named in the playbook's approvals, or a member of those roles",
        )
