"""The two-person rule on decisions and actions: distinct approvers, never the requester,
never a superseded decision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ircli.config import Config
from ircli.core.approvals import ApprovalRule, approval_subject
from ircli.errors import RefusedError, ValidationError
from ircli.services.answers import AnswersResponder
from ircli.services.approvals import (
    approval_status,
    approve,
    pending_approvals,
    reject,
    request_approval,
)
from ircli.services.incidents import open_incident
from ircli.services.runs import advance, record_decision, run_state, start_run
from ircli.services.workspace import Workspace

PLAYBOOK = """\
playbook: gate
title: Gated decision
steps:
  - id: scope
    kind: decide
    title: Decide the scope
    instructions: Choose what to contain and say why, citing the evidence.
    options:
      - {id: wide, label: All linked accounts, next: act}
      - {id: narrow, label: Seeds only, next: act}
    approvals:
      required: 2
      from: [leads, erin]
  - id: act
    kind: note
    title: Act
    instructions: Carry out the approved scope and record what you did.
    text: "Scope {{ steps.scope.option }} approved"
"""


@pytest.fixture
def gate(tmp_path: Path) -> Path:
    path = tmp_path / "gate.yaml"
    path.write_text(PLAYBOOK, encoding="utf-8")
    return path


def _as(ws: Workspace, who: str) -> Workspace:
    return Workspace(ws.store_path, ws.config, who, ws.clock)


@pytest.fixture
def team(tmp_path: Path) -> Config:
    return Config(policies={"roles": {"leads": ["bob", "carol"]}})


def _started(ws: Workspace, gate: Path) -> str:
    incident, _ = start_run(ws, str(gate), title="Gate")
    return incident


def test_decision_waits_for_n_distinct_approvers_other_than_the_requester(
    tmp_path: Path, gate: Path, team: Config, clock
) -> None:  # type: ignore[no-untyped-def]
    alice = Workspace(tmp_path / "store.db", team, "alice", clock)
    incident = _started(alice, gate)
    state = record_decision(
        alice, incident, "scope", "wide", "Shared payment fingerprints", ["EV-1"]
    )
    assert state.steps["scope"].state == "waiting-for-approval"

    with pytest.raises(RefusedError, match="requested step 'scope' and cannot also approve it"):
        approve(alice, incident, "scope")
    approve(_as(alice, "bob"), incident, "scope", "agreed")
    with pytest.raises(RefusedError, match="bob already approved step 'scope'"):
        approve(_as(alice, "bob"), incident, "scope")
    with pytest.raises(RefusedError, match="dave may not approve step 'scope'"):
        approve(_as(alice, "dave"), incident, "scope")
    assert advance(alice, incident).status == "waiting-for-approval"

    status = approve(_as(alice, "erin"), incident, "scope")  # named directly, not via a role
    assert status.satisfied and status.granted_by == ["bob", "erin"]
    outcome = advance(alice, incident, AnswersResponder())
    assert outcome.status == "completed"
    assert outcome.state.steps["act"].outputs == {"text": "Scope wide approved"}
    with pytest.raises(RefusedError, match="already has the approvals it needs"):
        approve(_as(alice, "carol"), incident, "scope")


def test_approval_of_a_superseded_decision_does_not_count(
    tmp_path: Path, gate: Path, team: Config, clock, ircli
) -> None:  # type: ignore[no-untyped-def]
    alice = Workspace(tmp_path / "store.db", team, "alice", clock)
    incident = _started(alice, gate)
    record_decision(alice, incident, "scope", "wide", "All 1,842 linked accounts")
    first_subject = approval_status(alice, incident, "scope").subject
    assert first_subject
    approve(_as(alice, "bob"), incident, "scope")

    # The decision changes while approvals are pending: bob's approval no longer counts.
    record_decision(alice, incident, "scope", "narrow", "Only the seeds: two are eval partners")
    status = approval_status(alice, incident, "scope")
    assert status.subject != first_subject
    assert status.granted_by == [] and status.stale == 1
    _, state = run_state(alice, incident)
    assert state.steps["scope"].state == "waiting-for-approval"
    assert state.steps["scope"].decision.option == "narrow"  # type: ignore[union-attr]

    # carol reviewed the old decision: approving it is refused, not applied to the new one.
    with pytest.raises(RefusedError, match="changed after you reviewed it"):
        approve(_as(alice, "carol"), incident, "scope", subject=first_subject)
    # The same through the CLI, with the short subject people copy from `ircli approvals`.
    (tmp_path / "ircli.toml").write_text('[policies.roles]\nleads = ["bob", "carol"]\n')
    listed = json.loads(ircli("approvals", "--json").out)
    assert [(p["incident"], p["step"], p["missing"]) for p in listed] == [(incident, "scope", 2)]
    assert listed[0]["details"]["decision"] == {
        "option": "narrow",
        "rationale": "Only the seeds: two are eval partners",
        "evidence": [],
    }
    current = listed[0]["subject"]
    stale = ircli("--as", "carol", "approve", incident, "scope", "--subject", first_subject)
    assert stale.code == 12 and "changed after you reviewed it" in stale.err
    ok = ircli("--as", "carol", "approve", incident, "scope", "--subject", current[:12])
    assert ok.code == 0, ok.err
    assert approval_status(alice, incident, "scope").granted_by == ["carol"]


def test_rejection_sends_the_decision_back(tmp_path: Path, gate: Path, team: Config, clock) -> None:  # type: ignore[no-untyped-def]
    alice = Workspace(tmp_path / "store.db", team, "alice", clock)
    incident = _started(alice, gate)
    record_decision(alice, incident, "scope", "wide", "everything linked")
    with pytest.raises(ValidationError, match="needs a comment"):
        reject(_as(alice, "bob"), incident, "scope", "")
    reject(_as(alice, "bob"), incident, "scope", "includes a reseller org")
    _, state = run_state(alice, incident)
    assert state.steps["scope"].state == "waiting-for-input"
    assert "rejected by bob" in state.steps["scope"].reason
    assert pending_approvals(alice) == []
    with pytest.raises(RefusedError, match="was rejected by bob"):
        record_decision(alice, incident, "scope", "wide", "everything linked")
    record_decision(alice, incident, "scope", "narrow", "seeds only, reseller excluded")
    assert run_state(alice, incident)[1].steps["scope"].state == "waiting-for-approval"
    assert [p.step for p in pending_approvals(alice)] == ["scope"]


def test_action_approvals_bind_to_the_preview(ws: Workspace, answers_file: Path) -> None:
    import yaml

    answers = yaml.safe_load(answers_file.read_text())
    incident, _ = start_run(ws, "distillation", title="Preview")
    outcome = advance(ws, incident, AnswersResponder(answers))
    assert outcome.waiting and outcome.waiting["step"] == "contain"
    first = approval_status(ws, incident, "contain").subject
    [pending] = pending_approvals(ws)
    assert pending.details["preview"]["targets"] == ["acct-1", "acct-2"]  # what approvers review
    approve(_as(ws, "bob"), incident, "contain")
    # The target list changes before the second approval (new subject accounts):
    from ircli.services.incidents import add_subjects

    add_subjects(ws, incident, ["acct-3"])
    approve(_as(ws, "carol"), incident, "contain")
    outcome = advance(ws, incident, AnswersResponder(answers))
    # The preview no longer matches what was approved: a new request, approvals start over.
    assert outcome.status == "waiting-for-approval" and outcome.waiting
    assert outcome.waiting["step"] == "contain"
    status = approval_status(ws, incident, "contain")
    assert status.subject != first and status.granted_by == [] and status.stale == 2


def test_the_approval_services_are_generic(ws: Workspace) -> None:
    """Containment and the Forum report reuse the same functions with their own subjects."""
    incident = open_incident(ws, title="Generic").id
    subject = approval_subject({"bundle": "sha256:abc"})
    request_approval(ws, incident, "forum-report", subject, ApprovalRule(1), "Submit bundle abc")
    [pending] = pending_approvals(ws)
    assert (pending.step, pending.requester, pending.summary) == (
        "forum-report",
        "alice",
        "Submit bundle abc",
    )
    with pytest.raises(RefusedError):
        approve(_as(ws, "bob"), incident, "forum-report", subject=approval_subject({"bundle": "x"}))
    assert approve(_as(ws, "bob"), incident, "forum-report", subject=subject).satisfied
    assert pending_approvals(ws) == []
    with pytest.raises(RefusedError, match="no request waiting"):
        approve(_as(ws, "bob"), incident, "contain")


def test_roles_config_is_validated(tmp_path: Path, gate: Path, clock) -> None:  # type: ignore[no-untyped-def]
    from ircli.errors import ConfigError

    bad = Workspace(
        tmp_path / "store.db", Config(policies={"roles": {"leads": "bob"}}), "alice", clock
    )
    incident = _started(bad, gate)
    record_decision(bad, incident, "scope", "wide", "r")
    with pytest.raises(ConfigError, match=r"policies\.roles\.leads must be a list"):
        approve(_as(bad, "bob"), incident, "scope")


def test_a_decision_re_recorded_by_someone_else_needs_new_approvals(
    tmp_path: Path, gate: Path, team: Config, clock
) -> None:  # type: ignore[no-untyped-def]
    alice = Workspace(tmp_path / "store.db", team, "alice", clock)
    incident = _started(alice, gate)
    record_decision(alice, incident, "scope", "wide", "same words")
    approve(_as(alice, "bob"), incident, "scope")
    # carol records the very same decision: it is now hers, and bob's approval was for alice's.
    record_decision(_as(alice, "carol"), incident, "scope", "wide", "same words")
    status = approval_status(alice, incident, "scope")
    assert status.requester == "carol" and status.granted_by == []
    with pytest.raises(RefusedError, match="cannot also approve"):
        approve(_as(alice, "carol"), incident, "scope")
