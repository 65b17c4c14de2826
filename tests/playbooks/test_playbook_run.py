"""Running playbooks: non-interactive runs, waiting records, resumption, branches and loops."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playbook_handlers import RECORDER, FakeHandler

from ircli.errors import ExternalServiceError, ValidationError
from ircli.services.answers import AnswersResponder
from ircli.services.approvals import approve
from ircli.services.incidents import get_incident, incident_events, verify
from ircli.services.runs import advance, record_decision, run_state, start_run
from ircli.services.steps import StepContext, StepResult, register_handler
from ircli.services.workspace import Workspace


def _approve_as(ws: Workspace, who: str, incident: str, step: str) -> None:
    other = Workspace(ws.store_path, ws.config, who, ws.clock)
    try:
        approve(other, incident, step, "looks right")
    finally:
        other.close()


def test_non_interactive_run_goes_from_intake_to_close(ircli, answers_file: Path) -> None:  # type: ignore[no-untyped-def]
    first = ircli(
        "run",
        "distillation",
        "--title",
        "Hydra",
        "--answers",
        str(answers_file),
        "--non-interactive",
    )
    assert first.code == 11, first.err
    record = json.loads(first.out)
    assert record["status"] == "waiting-for-approval"
    waiting = record["waiting_for"]
    assert waiting["step"] == "contain"
    assert waiting["approval"]["required"] == 2 and waiting["approval"]["missing"] == 2
    assert waiting["approve_with"] == "ircli --as NAME approve INC-0001 contain"

    assert ircli("--as", "bob", "approve", "INC-0001", "contain").code == 0
    listed = ircli("approvals", "list")
    assert listed.code == 0 and "INC-0001" in listed.out and "1/2" in listed.out
    # --as may also follow the command, as people type it.
    carol = ircli("approve", "INC-0001", "contain", "--as", "carol", "--comment", "ok")
    assert carol.code == 0, carol.err
    assert "carol approved 'contain': approvals complete" in carol.err
    second = ircli(
        "run",
        "distillation",
        "--incident",
        "INC-0001",
        "--answers",
        str(answers_file),
        "--non-interactive",
    )
    assert second.code == 11
    assert json.loads(second.out)["waiting_for"]["step"] == "report"
    assert ircli("--as", "dave", "approve", "INC-0001", "report").code == 0
    third = ircli(
        "run",
        "distillation",
        "--incident",
        "INC-0001",
        "--answers",
        str(answers_file),
        "--non-interactive",
        "--json",
    )
    assert third.code == 0, third.err
    final = json.loads(third.out)
    assert final["status"] == "completed"
    states = {s["id"]: s["state"] for s in final["steps"]}
    assert all(
        states[s] == "done"
        for s in (
            "intake",
            "preserve",
            "expand",
            "assess",
            "intel",
            "exculpatory",
            "classify",
            "contain",
            "report",
            "notify",
            "close",
            "export",
        )
    )
    assert states["ratelimit-evasion"] == "pending"  # the branch not taken
    assert [c[0] for c in RECORDER.calls] == [
        "evidence.pull",
        "analysis.expand",
        "analysis.assess",
        "intel.match",
        "accounts.terminate",
        "forum.report",
        "timeline.export",
    ]
    # Templates in `with:` were rendered from the intake form, keeping the list type.
    assert RECORDER.calls[0][3]["accounts"] == ["acct-1", "acct-2"]
    shown = json.loads(ircli("incident", "show", "INC-0001", "--json").out)
    assert shown["status"] == "closed"
    assert shown["summary"] == "Campaign contained and reported to the Forum"
    assert shown["subjects"] == ["acct-1", "acct-2"]
    assert shown["severity"] == "sev2"  # the intake form's severity updated the incident
    messages = [e["message"] for e in shown["timeline"]]
    assert "Started playbook distillation" in messages
    assert any(m.startswith("Decided 'campaign' on step 'classify'") for m in messages)
    assert ircli("verify", "INC-0001").code == 0


def test_without_answers_the_run_stops_at_the_first_human_step(ircli) -> None:  # type: ignore[no-untyped-def]
    result = ircli(
        "run",
        "distillation",
        "--title",
        "Alert 42",
        "--input",
        "seeds=acct-9,acct-8",
        "--non-interactive",
    )
    assert result.code == 10, result.err
    waiting = json.loads(result.out)["waiting_for"]
    # intake completed from --input and defaults; the automated steps ran.
    assert waiting["step"] == "exculpatory" and waiting["kind"] == "check"
    assert [i["id"] for i in waiting["items"]] == [
        "contract-flags",
        "eval-partners",
        "benchmark-traffic",
        "resellers",
    ]
    assert "40 alerting accounts" in waiting["instructions"]  # rendered from analysis outputs
    assert len(RECORDER.calls) == 4
    # Re-running without new answers changes nothing and waits at the same step.
    ws_events_before = ircli("incident", "show", "INC-0001", "--json").out
    again = ircli("run", "distillation", "--incident", "1", "--non-interactive")
    assert again.code == 10
    assert json.loads(again.out)["waiting_for"]["step"] == "exculpatory"
    assert (
        json.loads(ircli("incident", "show", "INC-0001", "--json").out)["events"]
        == json.loads(ws_events_before)["events"]
    )
    assert len(RECORDER.calls) == 4


def test_a_form_with_missing_required_values_waits_and_says_which(ircli) -> None:  # type: ignore[no-untyped-def]
    # No --incident and no --title: a new incident named after the playbook (DESIGN journey 2).
    result = ircli("run", "distillation", "--non-interactive")
    assert result.code == 10
    waiting = json.loads(result.out)["waiting_for"]
    assert waiting["step"] == "intake"
    assert waiting["missing"] == ["seeds"]
    assert {f["name"] for f in waiting["fields"]} == {"seeds", "window", "alert", "severity"}
    shown = json.loads(ircli("incident", "show", "1", "--json").out)
    assert shown["title"] == "Adversarial distillation campaign"
    assert shown["playbook"] == "distillation"


def test_invalid_form_answers_are_one_clear_error(ircli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump({"intake": {"seeds": "a", "window": "forever", "colour": 1}}))
    result = ircli(
        "run", "distillation", "--title", "x", "--answers", str(answers), "--non-interactive"
    )
    assert result.code == 4
    assert "unknown field 'colour'" in result.err
    assert "'forever' is not a duration" in result.err
    assert "Traceback" not in result.err


def test_decide_command_and_loop_bound(ws: Workspace) -> None:
    incident, _ = start_run(ws, "distillation", title="Loop", inputs={"seeds": "a,b"})
    responder = AnswersResponder({"exculpatory": True})
    outcome = advance(ws, incident, responder)
    assert outcome.status == "waiting-for-input" and outcome.waiting
    assert outcome.waiting["step"] == "classify"
    assert [o["id"] for o in outcome.waiting["options"]] == [
        "campaign",
        "ratelimit",
        "benign",
        "more-evidence",
    ]
    for visit in (1, 2):
        record_decision(ws, incident, "classify", "more-evidence", "need the full cluster")
        outcome = advance(ws, incident, responder)
        assert outcome.waiting and outcome.waiting["step"] == "classify"
        assert outcome.state.visits["expand"] == visit + 1
    # The bound is spent: the option is gone from the record and refused if named.
    assert "more-evidence" not in [o["id"] for o in outcome.waiting["options"]]
    with pytest.raises(ValidationError, match="already chosen 2 time"):
        record_decision(ws, incident, "classify", "more-evidence", "once more")
    with pytest.raises(ValidationError, match="needs a rationale"):
        record_decision(ws, incident, "classify", "benign", "   ")
    with pytest.raises(ValidationError, match="no option 'maybe'"):
        record_decision(ws, incident, "classify", "maybe", "why not")
    expand_calls = [c for c in RECORDER.calls if c[0] == "analysis.expand"]
    assert [c[2] for c in expand_calls] == [1, 2, 3]  # one handler call per visit


def test_decide_via_cli_benign_skips_containment(ircli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump({"exculpatory": True, "close": {"summary": "Eval partner"}}))
    args = [
        "run",
        "distillation",
        "--title",
        "x",
        "--input",
        "seeds=a",
        "--answers",
        str(answers),
        "--non-interactive",
    ]
    assert ircli(*args).code == 10
    refused = ircli("decide", "INC-0001", "contain", "--option", "x", "--rationale", "y")
    assert refused.code == 4 and "not a decision step" in refused.err
    decided = ircli(
        "decide",
        "INC-0001",
        "classify",
        "--option",
        "benign",
        "--rationale",
        "Contracted eval partner",
        "--evidence",
        "EV-1",
    )
    assert decided.code == 0, decided.err
    again = ircli(
        "decide", "INC-0001", "classify", "--option", "campaign", "--rationale", "changed my mind"
    )
    assert again.code == 12 and "not waiting for a decision" in again.err
    done = ircli(
        "run",
        "distillation",
        "--incident",
        "INC-0001",
        "--answers",
        str(answers),
        "--non-interactive",
        "--json",
    )
    assert done.code == 0, done.err
    states = {s["id"]: s["state"] for s in json.loads(done.out)["steps"]}
    assert states["contain"] == states["report"] == states["notify"] == "pending"
    assert states["close"] == states["export"] == "done"
    assert "accounts.terminate" not in [c[0] for c in RECORDER.calls]


def test_when_false_skips_a_step_with_a_journal_event(ws: Workspace) -> None:
    register_handler("analysis.assess", FakeHandler("analysis.assess", {"alert_accounts": 0}))
    answers = {
        "exculpatory": True,
        "classify": {"option": "campaign", "rationale": "r"},
        "notify": True,
        "close": {"summary": "s"},
    }
    incident, _ = start_run(ws, "distillation", title="Quiet", inputs={"seeds": "a"})
    outcome = advance(ws, incident, AnswersResponder(answers))
    assert outcome.waiting and outcome.waiting["step"] == "report"
    assert outcome.state.steps["contain"].state == "skipped"
    skipped = [e for e in incident_events(ws, incident) if e.type == "step.skipped"]
    assert len(skipped) == 1 and skipped[0].payload["step"] == "contain"
    assert "condition is false" in skipped[0].payload["reason"]


def test_handoff_to_the_ratelimit_playbook(ws: Workspace) -> None:
    answers: dict[str, Any] = {
        "exculpatory": True,
        "classify": {"option": "ratelimit", "rationale": "one customer load-balancing"},
        "confirm": True,
        "respond": {"option": "warn", "rationale": "first offence"},
        "ratelimit-evasion.notify": True,
        "ratelimit-evasion.close": {"summary": "Warned the customer"},
    }
    incident, _ = start_run(
        ws, "distillation", title="Limits", inputs={"seeds": "a,b", "window": "3d"}
    )
    outcome = advance(ws, incident, AnswersResponder(answers))
    assert outcome.status == "completed", outcome.waiting
    assert outcome.playbook == "ratelimit-evasion"
    intake = outcome.state.steps["intake"]
    assert intake.outputs == {"accounts": ["a", "b"], "window": "3d"}  # carried over by `with:`
    playbook, state = run_state(ws, incident)
    assert playbook.name == "ratelimit-evasion" and state.status == "completed"
    assert get_incident(ws, incident).status == "closed"
    # The original playbook's command continues with the playbook it handed over to.
    _again, message = start_run(ws, "distillation", incident=incident)
    assert "continuing with ratelimit-evasion" in message
    types = [e.type for e in incident_events(ws, incident)]
    assert types.count("playbook.started") == 2 and "playbook.handoff" in types


def test_failed_handler_is_recorded_and_retried(ws: Workspace) -> None:
    class Flaky:
        attempts = 0

        def run(self, ctx: StepContext) -> StepResult:
            Flaky.attempts += 1
            if Flaky.attempts == 1:
                raise ExternalServiceError("log API answered 503", hint="retry later")
            return StepResult({"records": 10})

    register_handler("evidence.pull", Flaky())
    incident, _ = start_run(ws, "distillation", title="Flaky", inputs={"seeds": "a"})
    with pytest.raises(ExternalServiceError, match="503"):
        advance(ws, incident, AnswersResponder())
    _, state = run_state(ws, incident)
    assert state.steps["preserve"].state == "failed"
    assert "503" in state.steps["preserve"].reason
    outcome = advance(ws, incident, AnswersResponder())
    assert outcome.state.steps["preserve"].state == "done"
    assert Flaky.attempts == 2
    assert verify(ws, incident).ok


def test_missing_handler_is_a_clear_error(ircli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    playbook = tmp_path / "missing.yaml"
    playbook.write_text(
        "playbook: missing\nversion: 1\ntitle: A step whose handler is not installed\n"
        "steps:\n  - id: pull\n    kind: collect\n    title: Pull\n"
        "    instructions: Pull the logs.\n    uses: nowhere.missing\n",
        encoding="utf-8",
    )
    result = ircli("run", str(playbook), "--title", "x", "--non-interactive")
    assert result.code == 3, result.err
    assert "no step handler named 'nowhere.missing'" in result.err


def test_plain_mode_prompts_in_the_terminal(ircli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    typed = (
        "\n".join(
            [
                "acct-1, acct-2",  # seeds
                "",  # window: keep 14d
                "",  # alert: optional
                "",  # severity: keep sev2
                "y",
                "y",
                "y",
                "y",  # exculpatory checklist
                "5",  # not an option: asked again
                "1",  # campaign
                "Payment fingerprints shared across orgs",
                "EV-7",
            ]
        )
        + "\n"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    result = ircli("run", "distillation", "--title", "SSH", "--plain")
    assert result.code == 11, result.err
    assert "== Intake (form: intake)" in result.err
    assert "Record what the alert gave you." in result.err
    assert "1. Distillation campaign (campaign)" in result.err
    shown = json.loads(ircli("incident", "show", "1", "--json").out)
    decision = [e for e in shown["timeline"] if e["type"] == "decision.recorded"]
    assert decision and "Payment fingerprints" in decision[0]["message"]


def test_run_refuses_conflicting_options(ircli) -> None:  # type: ignore[no-untyped-def]
    assert ircli("run", "distillation", "--incident", "1", "--title", "x").code == 2
    assert ircli("run", "distillation", "--plain", "--non-interactive", "--title", "x").code == 2
    bad = ircli("run", "distillation", "--title", "x", "--input", "no-equals")
    assert bad.code == 2 and "NAME=VALUE" in bad.err
    missing = ircli("run", "nope", "--title", "x")
    assert missing.code == 3 and "distillation" in missing.err


def test_a_second_playbook_cannot_hijack_an_incident(ws: Workspace) -> None:
    from ircli.errors import RefusedError

    incident, _ = start_run(ws, "distillation", title="One", inputs={"seeds": "a"})
    with pytest.raises(RefusedError, match="running playbook distillation"):
        start_run(ws, "ratelimit-evasion", incident=incident)


def test_playbooks_are_found_on_the_configured_path(ircli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "triage.yaml").write_text(
        "playbook: triage\ntitle: Triage\nsteps:\n"
        "  - id: look\n    kind: note\n    title: Look\n"
        "    instructions: Read the alert and write down what you see.\n"
        "    text: Looked at {{ incident.id }}\n",
        encoding="utf-8",
    )
    (tmp_path / "ircli.toml").write_text(f'[playbooks]\npaths = ["{folder}"]\n', encoding="utf-8")
    listed = json.loads(ircli("playbook", "list", "--json").out)
    assert [p["name"] for p in listed] == ["triage", "distillation", "ratelimit-evasion"]
    result = ircli("run", "triage", "--title", "t", "--non-interactive", "--json")
    assert result.code == 0, result.err
    notes = [
        e
        for e in json.loads(ircli("incident", "show", "1", "--json").out)["timeline"]
        if e["type"] == "note.added"
    ]
    assert notes[0]["message"] == "Note: Looked at INC-0001"


def test_playbook_show_and_handlers(ircli) -> None:  # type: ignore[no-untyped-def]
    table = ircli("playbook", "show", "distillation")
    assert table.code == 0
    assert "campaign → contain" in table.out and "2 approval(s)" in table.out
    one = ircli("playbook", "show", "distillation", "--step", "classify", "--json")
    assert json.loads(one.out)["options"][3] == {
        "id": "more-evidence",
        "label": "Need more evidence",
        "next": "expand",
        "max_loops": 2,
    }
    assert ircli("playbook", "show", "distillation", "--step", "nope").code == 4
    handlers = json.loads(ircli("playbook", "handlers", "--json").out)
    assert {"evidence.pull", "accounts.terminate", "timeline.export"} <= set(handlers)


def test_no_new_run_on_a_closed_incident(ircli) -> None:  # type: ignore[no-untyped-def]
    assert ircli("incident", "new", "--title", "old").code == 0
    assert ircli("incident", "close", "1", "--summary", "done").code == 0
    result = ircli("run", "distillation", "--incident", "1", "--non-interactive")
    assert result.code == 12 and "closed" in result.err


def test_unrelated_events_between_moves_do_not_disturb_the_run(ws: Workspace) -> None:
    incident, _ = start_run(ws, "distillation", title="Busy", inputs={"seeds": "a"})
    advance(ws, incident, AnswersResponder())
    # Thousands of evidence or ledger events land in the journal meanwhile.
    ws.store.append_many(
        incident, [("action.target_succeeded", {"target": f"acct-{i}"}) for i in range(3000)], "bot"
    )
    outcome = advance(ws, incident, AnswersResponder({"exculpatory": True}))
    assert outcome.waiting and outcome.waiting["step"] == "classify"
    _, state = run_state(ws, incident)
    assert state.head_seq == ws.store.head(incident)[0]
    record_decision(ws, incident, "classify", "benign", "eval partner")  # appends at the true head
    assert verify(ws, incident).ok


def test_a_note_step_takes_the_responders_text(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "log.yaml"
    path.write_text(
        "playbook: log\ntitle: Log\nsteps:\n"
        "  - id: observe\n    kind: note\n    title: Observe\n"
        "    instructions: Write down what the alert says, in your own words.\n",
        encoding="utf-8",
    )
    incident, _ = start_run(ws, str(path), title="Note")
    waiting = advance(ws, incident, AnswersResponder())
    assert waiting.status == "waiting-for-input" and waiting.waiting
    assert waiting.waiting["kind"] == "note"
    done = advance(ws, incident, AnswersResponder({"observe": "Five seeds, one /16"}))
    assert done.status == "completed"
    notes = [e.payload["text"] for e in incident_events(ws, incident) if e.type == "note.added"]
    assert notes == ["Five seeds, one /16"]


def test_one_runner_per_incident(ws: Workspace) -> None:
    from ircli.errors import RefusedError
    from ircli.services.runlock import run_lock

    incident, _ = start_run(ws, "distillation", title="Two terminals", inputs={"seeds": "a"})
    with run_lock(ws, incident), pytest.raises(RefusedError, match="another ircli is running"):
        advance(ws, incident, AnswersResponder())
    assert RECORDER.calls == []  # nothing ran while the other runner held the incident
    assert advance(ws, incident, AnswersResponder()).waiting  # released: runs normally


_ANSWER_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=10),
        st.sampled_from(["campaign", "14d", "acct-1,acct-2", "legal", "more-evidence"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "option",
                    "rationale",
                    "evidence",
                    "seeds",
                    "window",
                    "ticked",
                    "summary",
                    "text",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.dictionaries(
        st.sampled_from(["intake", "exculpatory", "classify", "notify", "close", "contain"]),
        _ANSWER_VALUES,
        max_size=5,
    )
)
def test_random_answers_give_clear_errors_only(
    tmp_path_factory: pytest.TempPathFactory, answers: dict[str, Any]
) -> None:
    from ircli.config import Config
    from ircli.errors import IrcliError

    folder = tmp_path_factory.mktemp("fuzz")
    ws = Workspace(folder / "store.db", Config(), "alice")
    try:
        incident, _ = start_run(ws, "distillation", title="fuzz")
        outcome = advance(ws, incident, AnswersResponder(answers))
        assert outcome.status in ("waiting-for-input", "waiting-for-approval", "completed")
    except IrcliError:
        pass
    finally:
        ws.close()
