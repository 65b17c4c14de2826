"""The export service and the CLI: filters, redaction, errors, streams and plugins."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ircli.core.events import Event, seal
from ircli.core.incident import Incident
from ircli.export import ExportSource, formats, writer_for
from ircli.services.export import export_timeline
from ircli.services.workspace import Workspace
from tests.export.fixed_incident import FORUM_KEY, PROMPT_CANARY

ALL = ["csv", "html", "jsonl", "md", "stix", "timesketch-csv", "timesketch-jsonl"]


def test_every_format_is_registered_through_entry_points() -> None:
    assert set(ALL) <= set(formats())
    for name in ALL:
        assert writer_for(name).name == name


def test_cli_lists_formats(ircli) -> None:  # type: ignore[no-untyped-def]
    result = ircli("timeline", "formats", "--json")
    assert result.code == 0
    assert {f["name"] for f in json.loads(result.out)} >= set(ALL)


def test_cli_export_to_file_and_stdout(ircli, incident: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "t.jsonl"
    result = ircli("timeline", "export", incident, "--format", "jsonl", "-o", str(out), "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["events"] == 21 and out.exists()
    piped = ircli("timeline", "export", "1", "--format", "jsonl", "-o", "-")
    assert piped.code == 0
    # Same events; only the head record's generation time differs.
    assert piped.out.splitlines()[:-1] == out.read_text().splitlines()[:-1]
    assert "exported 21 event(s)" in piped.err


def test_cli_errors_are_one_line_with_distinct_codes(ircli, incident: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = str(tmp_path / "x")
    unknown = ircli("timeline", "export", incident, "--format", "pdf", "-o", out)
    assert (
        unknown.code == 4
        and "unknown export format 'pdf'" in unknown.err
        and "jsonl" in unknown.err
    )
    missing = ircli("timeline", "export", "INC-0099", "--format", "csv", "-o", out)
    assert missing.code == 3
    since = ircli(
        "timeline", "export", incident, "--format", "csv", "-o", out, "--since", "yesterday"
    )
    assert since.code == 4 and "ISO 8601" in since.err
    swapped = ircli(
        "timeline",
        "export",
        incident,
        "--format",
        "csv",
        "-o",
        out,
        "--since",
        "2026-03-02",
        "--until",
        "2026-03-01",
    )
    assert swapped.code == 2
    nodir = ircli(
        "timeline", "export", incident, "--format", "csv", "-o", str(tmp_path / "no" / "x.csv")
    )
    assert nodir.code == 3
    assert not Path(out).exists(), "a failed export leaves no file behind"
    assert ircli("timeline", "export", incident, "--format", "csv", "-o", "-", "--json").code == 2


def test_redact_without_the_key_explains(ircli, incident: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = ircli(
        "timeline", "export", incident, "--format", "md", "-o", str(tmp_path / "r.md"), "--redact"
    )
    assert result.code == 13
    assert "forum-hmac" in result.err and "IRCLI_SECRET_FORUM_HMAC" in result.err
    assert not (tmp_path / "r.md").exists()


@pytest.mark.parametrize("fmt", ALL)
def test_redaction_canary_in_every_format(
    fixed_ws: Workspace, incident: str, forum_key: str, fmt: str
) -> None:
    out = io.StringIO()
    result = export_timeline(fixed_ws, incident, fmt, out, redact=True)
    text = out.getvalue()
    assert result.redacted
    for secret in ("acct-1001", "acct-1002", "acct-1003", "acct-1004", "canary-prompt-5f1c"):
        assert secret not in text, f"{secret} leaked into the redacted {fmt} export"
    assert FORUM_KEY not in text
    plain = io.StringIO()
    export_timeline(fixed_ws, incident, fmt, plain)
    assert PROMPT_CANARY[:18] in plain.getvalue() or fmt in ("md", "html")  # the canary is live
    if fmt in ("jsonl", "timesketch-jsonl", "stix", "csv"):
        assert "hmac-sha256:" in text


def test_filters_select_events(fixed_ws: Workspace, incident: str) -> None:
    out = io.StringIO()
    result = export_timeline(
        fixed_ws,
        incident,
        "jsonl",
        out,
        types=["note.added"],
        since="2026-03-01T09:00:05Z",
        until="2026-03-01T09:00:30Z",
    )
    events = [json.loads(line) for line in out.getvalue().splitlines()[:-1]]
    assert result.events == len(events) == 2
    assert {e["type"] for e in events} == {"note.added"}
    assert all("2026-03-01T09:00:05" <= e["ts"] <= "2026-03-01T09:00:30" for e in events)
    head = json.loads(out.getvalue().splitlines()[-1])
    assert head["complete"] is False and head["selection"]["types"] == ["note.added"]


def test_a_bare_until_date_includes_that_day(fixed_ws: Workspace, incident: str) -> None:
    day = export_timeline(
        fixed_ws, incident, "csv", io.StringIO(), since="2026-03-01", until="2026-03-01"
    )
    assert day.events == 21
    before = export_timeline(fixed_ws, incident, "csv", io.StringIO(), until="2026-02-28")
    assert before.events == 0


def test_events_appended_during_an_export_are_left_out(fixed_ws: Workspace, incident: str) -> None:
    """The export is a snapshot at the head it states, even if responders keep writing."""

    class Appending(io.StringIO):
        def write(self, text: str) -> int:
            if self.tell() == 0:
                fixed_ws.store.append(incident, "note.added", {"text": "late"}, "bob")
            return super().write(text)

    out = Appending()
    result = export_timeline(fixed_ws, incident, "jsonl", out)
    lines = out.getvalue().splitlines()
    assert json.loads(lines[-1])["head_seq"] == result.head_seq == len(lines) - 1


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
_types = st.sampled_from(
    [
        "incident.opened",
        "decision.recorded",
        "approval.requested",
        "approval.granted",
        "approval.rejected",
        "evidence.added",
        "analysis.completed",
        "action.requested",
        "action.target_succeeded",
        "action.target_failed",
        "action.target_skipped",
        "report.submitted",
        "note.added",
        "incident.closed",
        "x.unknown",
    ]
)
_keys = st.sampled_from(
    [
        "step",
        "option",
        "rationale",
        "targets",
        "action_id",
        "records",
        "sha256",
        "verdicts",
        "indicators",
        "objects",
        "status_id",
        "text",
        "title",
        "subjects",
        "required",
        "evidence",
    ]
)


WRITERS = {name: writer_for(name) for name in ALL}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=st.lists(st.tuples(_types, st.dictionaries(_keys, _json, max_size=5)), max_size=12))
def test_no_payload_crashes_a_writer(items: list[tuple[str, dict[str, object]]]) -> None:
    """Events written by older, newer or foreign code: unknown or odd fields never crash."""
    events: list[Event] = []
    prev = "0" * 64
    for seq, (type_, payload) in enumerate(items, start=1):
        event = seal(
            "INC-0001", seq, f"2026-03-01T09:00:{seq:02d}.000000Z", "alice", type_, payload, prev
        )
        events.append(event)
        prev = event.hash
    source = ExportSource(
        incident=Incident(id="INC-0001", created="2026-03-01T09:00:00.000000Z"),
        head_seq=len(events),
        head_hash=prev,
        events=lambda: iter(events),
        generated_at="2026-03-01T10:00:00.000000Z",
        generator="test",
    )
    for name, writer in WRITERS.items():
        out = io.StringIO()
        assert writer.write(source, out) == len(events)
        assert out.getvalue() or name == "timesketch-jsonl"


def test_dash_means_stdout(
    fixed_ws: Workspace, incident: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = export_timeline(fixed_ws, incident, "csv", "-")
    assert result.path is None
    assert capsys.readouterr().out.startswith("seq,ts,actor,type,message")


def test_playbook_export_step_writes_the_report(fixed_ws: Workspace, incident: str) -> None:
    """The real ``timeline.export`` handler behind the playbooks' ``export`` step."""
    from ircli.playbooks.loader import load_playbook_file
    from ircli.services.steps import StepContext, get_handler, handler_names

    assert "timeline.export" in handler_names()
    playbook = load_playbook_file(_library("ratelimit-evasion.yaml"))
    step = playbook.step("export")
    assert step is not None and step.uses == "timeline.export"
    handler = get_handler("timeline.export")
    ctx = StepContext(fixed_ws, incident, step, 1, dict(step.params), {})
    first = handler.run(ctx)
    path = Path(first.outputs["path"])
    assert path.suffix == ".md" and path.read_text().startswith("> **TLP:AMBER**")
    assert first.outputs["events"] == 21 and len(first.outputs["sha256"]) == 64
    again = handler.run(ctx)  # idempotent: the same visit rewrites the same file
    assert again.outputs["path"] == first.outputs["path"]


def _library(name: str) -> Path:
    import ircli.playbooks

    return Path(ircli.playbooks.__file__).parent / "library" / name


def test_indicator_chart_comes_from_the_stored_analysis(ws: Workspace) -> None:
    """The journal keeps the analysis summary; the report reads indicators from the result
    file, checked against its journaled hash."""
    from ircli.services.analysis import store_result
    from ircli.services.incidents import open_incident

    inc = open_incident(ws, title="t").id
    account = {
        "verdict": "alert",
        "indicators": {"cot_share": {"strength": 0.8}, "quiet": {"strength": 0}},
    }
    result = {"accounts": [account, {**account, "verdict": "clear"}], "summary": {"accounts": 2}}
    sha, path = store_result(ws.store.files_dir, result)
    ws.store.append(
        inc,
        "analysis.completed",
        {
            "analysis_id": "AN-1",
            "result_sha256": sha,
            "result_path": str(path.relative_to(ws.store.files_dir)),
            "summary": result["summary"],
        },
        "alice",
    )
    out = io.StringIO()
    export_timeline(ws, inc, "html", out)
    page = out.getvalue()
    assert "Indicators fired (alert and watch accounts)" in page
    assert ">cot_share</text>" in page and ">quiet</text>" not in page
    path.write_text("{}")  # an altered result is not charted
    out = io.StringIO()
    export_timeline(ws, inc, "html", out)
    assert "Indicators fired" not in out.getvalue()
