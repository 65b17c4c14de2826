"""The two-person rule in the core: distinct actors, never the requester, bound to the subject."""

from __future__ import annotations

import pytest

from ircli.core.approvals import (
    ApprovalRule,
    approval_state,
    approval_subject,
    check_can_approve,
)
from ircli.core.events import GENESIS_HASH, Event, seal
from ircli.errors import RefusedError, ValidationError


class Journal:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, actor: str, type_: str, **payload: object) -> None:
        prev = self.events[-1].hash if self.events else GENESIS_HASH
        self.events.append(
            seal("INC-0001", len(self.events) + 1, "t", actor, type_, dict(payload), prev)
        )


def test_two_distinct_approvals_satisfy() -> None:
    journal = Journal()
    subject = approval_subject({"targets": ["a", "b"]})
    journal.add("alice", "approval.requested", step="contain", subject=subject, required=2)
    rule = ApprovalRule(required=2)
    state = approval_state(journal.events, "contain")
    assert not state.satisfied and state.missing == 2
    check_can_approve(state, "bob", rule, subject=subject)
    journal.add("bob", "approval.granted", step="contain", subject=subject)
    state = approval_state(journal.events, "contain")
    with pytest.raises(RefusedError, match="already approved"):
        check_can_approve(state, "bob", rule)
    with pytest.raises(RefusedError, match="two-person rule"):
        check_can_approve(state, "alice", rule)
    journal.add("carol", "approval.granted", step="contain", subject=subject)
    state = approval_state(journal.events, "contain")
    assert state.satisfied and state.granted_by == ["bob", "carol"]


def test_changed_subject_voids_earlier_approvals() -> None:
    journal = Journal()
    first = approval_subject({"targets": ["a"]})
    second = approval_subject({"targets": ["a", "b"]})
    journal.add("alice", "approval.requested", step="contain", subject=first, required=1)
    journal.add("bob", "approval.granted", step="contain", subject=first)
    assert approval_state(journal.events, "contain").satisfied
    journal.add("alice", "approval.requested", step="contain", subject=second, required=1)
    state = approval_state(journal.events, "contain")
    assert not state.satisfied and state.stale == 1
    with pytest.raises(RefusedError, match="changed after you reviewed"):
        check_can_approve(state, "bob", ApprovalRule(), subject=first)
    # A late approval of the old subject does not count either.
    journal.add("carol", "approval.granted", step="contain", subject=first)
    assert not approval_state(journal.events, "contain").satisfied


def test_roles_restrict_approvers() -> None:
    journal = Journal()
    subject = approval_subject("x")
    journal.add("alice", "approval.requested", step="report", subject=subject, required=1)
    state = approval_state(journal.events, "report")
    rule = ApprovalRule(required=1, allowed=("lead", "dana"))
    roles = {"lead": ["bob"]}
    check_can_approve(state, "bob", rule, roles=roles)
    check_can_approve(state, "dana", rule, roles=roles)
    with pytest.raises(RefusedError, match="may not approve"):
        check_can_approve(state, "eve", rule, roles=roles)


def test_rejection_blocks_and_no_request_refuses() -> None:
    journal = Journal()
    with pytest.raises(RefusedError, match="no pending request"):
        check_can_approve(approval_state(journal.events, "x"), "bob", ApprovalRule())
    subject = approval_subject(1)
    journal.add("alice", "approval.requested", step="x", subject=subject, required=1)
    journal.add("bob", "approval.rejected", step="x", subject=subject)
    journal.add("carol", "approval.granted", step="x", subject=subject)
    state = approval_state(journal.events, "x")
    assert state.rejected_by == ["bob"] and not state.satisfied


def test_rule_needs_at_least_one() -> None:
    with pytest.raises(ValidationError):
        ApprovalRule(required=0)
