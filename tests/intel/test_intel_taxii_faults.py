"""TAXII faults: every way the server can fail gives one clear error, and the journal never
claims a submission or a pull that did not happen."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from intel_world import ATTACKERS, canary_world, forum_objects, forum_ws, write_evidence

from ircli.errors import ExternalServiceError, PartialFailureError
from ircli.intel.indicators import read_objects
from ircli.intel.taxii import TaxiiClient
from ircli.services import forum, intel, report_submission
from ircli.services.incidents import open_incident

pytestmark = pytest.mark.usefixtures("secrets_env")

BASE = "http://forum.test/"
TAXII = {"Content-Type": "application/taxii+json;version=2.1"}
FORUM = {
    "url": BASE,
    "api_root": "api1",
    "collection": "reports",
    "intel_collection": "intel",
    "username": "lab",
    "identity": "Example Lab",
    "deadline_seconds": 0.3,
    "poll_interval_seconds": 0.02,
}


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers={**TAXII, **(headers or {})}, content=json.dumps(body))


class FakeForum:
    """A scripted TAXII server: ``post`` and ``status`` decide what submissions see."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.post: Callable[[list[dict[str, Any]]], httpx.Response] = self.accept
        self.pending_polls = 0
        self.statuses: dict[str, dict[str, Any]] = {}
        self.writable = True
        self.counter = 0

    def accept(self, objects: list[dict[str, Any]]) -> httpx.Response:
        self.counter += 1
        sid = f"status-{self.counter}"
        status = {
            "id": sid,
            "status": "pending" if self.pending_polls else "complete",
            "total_count": len(objects),
            "success_count": 0 if self.pending_polls else len(objects),
            "failure_count": 0,
            "pending_count": len(objects) if self.pending_polls else 0,
            "successes": [] if self.pending_polls else [{"id": o["id"]} for o in objects],
            "_ids": [o["id"] for o in objects],
        }
        self.statuses[sid] = status
        return _json(202, {k: v for k, v in status.items() if k != "_ids"})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if request.method == "POST":
            return self.post(json.loads(request.read())["objects"])
        if path == "/api1/":
            return _json(200, {"title": "Forum", "max_content_length": 10_000_000})
        if "/status/" in path:
            status = self.statuses.get(path.rstrip("/").rsplit("/", 1)[-1])
            if status is None:
                return _json(404, {"title": "unknown status"})
            if self.pending_polls > 0:
                self.pending_polls -= 1
            elif status["status"] == "pending":
                status.update(
                    status="complete",
                    success_count=status["total_count"],
                    pending_count=0,
                    successes=[{"id": i} for i in status["_ids"]],
                )
            return _json(200, {k: v for k, v in status.items() if k != "_ids"})
        if path.endswith("/objects/"):
            return _json(200, {})
        if "/collections/" in path:
            cid = path.rstrip("/").rsplit("/", 1)[-1]
            return _json(200, {"id": cid, "can_read": True, "can_write": self.writable})
        return _json(404, {"title": "not found"})

    @property
    def posts(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST"]


def _ready(tmp_path: Path) -> tuple[Any, str]:
    ws = forum_ws(tmp_path, FORUM)
    inc = open_incident(ws, title="Hydra cluster", subjects=ATTACKERS).id
    write_evidence(ws, inc, canary_world())
    forum.prepare_report(ws, inc)
    bob = forum_ws(tmp_path, FORUM, actor="bob")
    forum.approve_report(bob, inc)
    bob.close()
    return ws, inc


def _types(ws: Any, inc: str) -> list[str]:
    return [e.type for e in ws.store.events(inc) if e.type.startswith("report.")]


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (401, "refused the credentials"),
        (403, "does not allow"),
        (406, "TAXII 2.1"),
        (413, "too large"),
        (500, "HTTP 500"),
        (503, "HTTP 503"),
    ],
)
def test_a_refused_post_is_a_clear_error_and_never_recorded_as_submitted(
    tmp_path: Path, code: int, words: str
) -> None:
    ws, inc = _ready(tmp_path)
    server = FakeForum()
    server.post = lambda objects: _json(code, {"title": "nope", "description": "\x1b[31mred"})
    with pytest.raises(ExternalServiceError) as caught:
        report_submission.submit_report(ws, inc, transport=httpx.MockTransport(server))
    assert words in caught.value.message and caught.value.hint
    assert len(server.posts) == 1  # a POST is never retried behind the journal's back
    assert _types(ws, inc) == ["report.prepared", "report.attempt_failed"]
    ws.close()


def test_get_retries_5xx_then_gives_up_with_a_clear_error() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            return _json(503, {}, {"Retry-After": "0"})
        return _json(200, {"title": "Forum", "max_content_length": 1000})

    slept: list[float] = []
    client = TaxiiClient(BASE, transport=httpx.MockTransport(handler), sleep=slept.append)
    assert client.api_root("api1")["title"] == "Forum"
    assert len(calls) == 3 and slept == [0.0, 0.0]

    failing = TaxiiClient(
        BASE, transport=httpx.MockTransport(lambda r: _json(502, {})), sleep=slept.append
    )
    with pytest.raises(ExternalServiceError, match="HTTP 502"):
        failing.collections("api1")


def test_a_status_stuck_pending_past_the_deadline_is_not_recorded_as_submitted(
    tmp_path: Path,
) -> None:
    ws, inc = _ready(tmp_path)
    server = FakeForum()
    server.pending_polls = 10_000
    with pytest.raises(ExternalServiceError, match="pending") as caught:
        report_submission.submit_report(ws, inc, transport=httpx.MockTransport(server))
    assert "nothing was recorded as submitted" in (caught.value.hint or "")
    assert _types(ws, inc) == ["report.prepared", "report.posted"]

    # Later the server finishes: the re-run polls the recorded status, and posts nothing again.
    server.pending_polls = 0
    posts = len(server.posts)
    result = report_submission.submit_report(ws, inc, transport=httpx.MockTransport(server))
    assert result.complete
    assert _types(ws, inc)[:3] == ["report.prepared", "report.posted", "report.submitted"]
    assert len(server.posts) - posts == 1  # only the narrative bundle was still unsent
    ws.close()


def test_a_partial_failure_names_the_failed_objects_and_only_they_are_resent(
    tmp_path: Path,
) -> None:
    ws, inc = _ready(tmp_path)
    server = FakeForum()
    refused: list[str] = []

    def flaky(objects: list[dict[str, Any]]) -> httpx.Response:
        response = server.accept(objects)
        body = json.loads(response.content)
        if not refused:
            victim = objects[-1]["id"]
            refused.append(victim)
            body["successes"] = [s for s in body["successes"] if s["id"] != victim]
            body["success_count"] -= 1
            body["failure_count"] = 1
            body["failures"] = [{"id": victim, "message": "object rejected"}]
            server.statuses[body["id"]].update(body)
        return _json(202, body)

    server.post = flaky
    with pytest.raises(PartialFailureError, match="object rejected"):
        report_submission.submit_report(ws, inc, transport=httpx.MockTransport(server))
    server.post = server.accept
    before = len(server.posts)
    report_submission.submit_report(ws, inc, transport=httpx.MockTransport(server))
    resent = [json.loads(r.read())["objects"] for r in server.posts[before:]]
    assert [[o["id"] for o in objs] for objs in resent] == [refused]
    ws.close()


def test_a_pull_that_fails_midway_records_nothing(tmp_path: Path) -> None:
    ws = forum_ws(tmp_path, FORUM)
    inc = open_incident(ws, title="x").id
    pages = iter(
        [
            _json(200, {"more": True, "next": "n1", "objects": forum_objects()[:3]}),
            httpx.Response(200, headers=TAXII, content=b"<html>proxy error</html>"),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/objects/"):
            return next(pages)
        return _json(200, {"id": "intel", "can_read": True})

    transport = httpx.MockTransport(handler)
    with pytest.raises(ExternalServiceError, match="not JSON"):
        intel.pull_intel(ws, inc, transport=transport)
    assert list(ws.store.events(inc, types=["intel.pulled"])) == []
    ws.close()


def test_a_server_that_keeps_saying_more_with_empty_pages_is_stopped() -> None:
    client = TaxiiClient(
        BASE, transport=httpx.MockTransport(lambda r: _json(200, {"more": True, "next": "x"}))
    )
    with pytest.raises(ExternalServiceError, match="empty"):
        list(client.pages("api1", "intel"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
                    "objects",
                    "more",
                    "next",
                    "id",
                    "status",
                    "type",
                    "pattern",
                    "success_count",
                    "failures",
                    "successes",
                    "total_count",
                    "title",
                    "max_content_length",
                ]
            )
            | st.text(max_size=8),
            inner,
            max_size=6,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=json_values, raw=st.binary(max_size=40), use_raw=st.booleans())
def test_fuzzed_envelopes_and_statuses_give_clear_errors_only(
    body: Any, raw: bytes, use_raw: bool
) -> None:
    content = raw if use_raw else json.dumps(body).encode()
    client = TaxiiClient(
        BASE, transport=httpx.MockTransport(lambda r: httpx.Response(200, content=content))
    )
    for call in (
        lambda: list(client.pages("api1", "intel")),
        lambda: client.status("api1", "s1"),
        lambda: client.collections("api1"),
        lambda: client.api_root("api1"),
        lambda: client.discovery(),
        lambda: client.wait_for_status("api1", "s1", deadline=0),
    ):
        try:
            call()
        except ExternalServiceError as exc:
            assert exc.message.startswith("the TAXII server")


stix_like = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["indicator", "identity", "malware"]) | st.text(max_size=5),
        "id": st.sampled_from(
            [
                "indicator--00000000-0000-4000-8000-000000000001",
                "identity--00000000-0000-4000-8000-000000000002",
            ]
        )
        | st.text(max_size=10),
        "pattern": st.text(max_size=60)
        | st.sampled_from(
            ["[ipv4-addr:value = '10.0.0.1']", "[autonomous-system:number = 1]", "[(((((("]
        ),
        "pattern_type": st.sampled_from(["stix", "sigma"]) | st.integers(),
        "created_by_ref": st.text(max_size=10) | st.integers(),
        "name": st.text(max_size=10) | st.lists(st.integers()),
        "modified": st.text(max_size=10) | st.integers(),
        "object_marking_refs": st.lists(st.text(max_size=5) | st.integers(), max_size=2),
        "revoked": st.booleans() | st.text(max_size=3),
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(objects=st.lists(stix_like | json_values, max_size=8))
def test_fuzzed_objects_are_sorted_or_rejected_never_a_crash(objects: list[Any]) -> None:
    batch = read_objects(objects)
    accounted = len(batch.indicators) + len(batch.rejected) + batch.other_objects
    accounted += sum(
        1
        for o in objects
        if isinstance(o, dict)
        and o.get("type") == "identity"
        and isinstance(o.get("name"), str)
        and o.get("id") in batch.identities
    )
    assert accounted == len(objects)
    for indicator in batch.indicators:
        assert bool(indicator.terms) != bool(indicator.unsupported)


def test_a_collection_without_write_access_is_refused_before_posting(tmp_path: Path) -> None:
    ws, inc = _ready(tmp_path)
    server = FakeForum()
    server.writable = False
    with pytest.raises(ExternalServiceError, match="does not let this account write"):
        report_submission.submit_report(ws, inc, transport=httpx.MockTransport(server))
    assert server.posts == [] and _types(ws, inc) == ["report.prepared"]
    ws.close()


def test_a_status_the_server_forgot_is_closed_and_its_objects_sent_again(tmp_path: Path) -> None:
    ws, inc = _ready(tmp_path)
    server = FakeForum()
    server.pending_polls = 10_000
    with pytest.raises(ExternalServiceError, match="pending"):
        report_submission.submit_report(ws, inc, transport=httpx.MockTransport(server))
    lost = json.loads(server.posts[0].read())["objects"]
    server.statuses.clear()  # the server restarted
    server.pending_polls = 0
    result = report_submission.submit_report(ws, inc, transport=httpx.MockTransport(server))
    assert result.complete
    assert "report.status_lost" in _types(ws, inc)
    resent = json.loads(server.posts[1].read())["objects"]
    assert [o["id"] for o in resent] == [o["id"] for o in lost]
    ws.close()


def test_a_playbook_step_uses_its_own_approval_instead_of_the_reports(tmp_path: Path) -> None:
    ws = forum_ws(tmp_path, FORUM)
    inc = open_incident(ws, title="Hydra cluster", subjects=ATTACKERS).id
    write_evidence(ws, inc, canary_world())
    prepared = forum.prepare_report(ws, inc, own_approval=False)
    assert [e.type for e in ws.store.events(inc, types=["approval.requested"])] == []
    server = FakeForum()
    result = report_submission.submit_report(
        ws, inc, transport=httpx.MockTransport(server), own_approval=False
    )
    assert result.complete and result.subject == prepared.subject
    # The same preparation asked for by hand later gets its own request, not a new preparation.
    again = forum.prepare_report(ws, inc)
    assert again.subject == prepared.subject
    kinds = [
        e.type for e in ws.store.events(inc) if e.type in ("report.prepared", "approval.requested")
    ]
    assert kinds == ["report.prepared", "approval.requested"]
    ws.close()


def test_the_decision_option_not_its_rationale_says_confirmed(tmp_path: Path) -> None:
    ws = forum_ws(tmp_path, FORUM)
    inc = open_incident(ws, title="Hydra cluster", subjects=ATTACKERS).id
    write_evidence(ws, inc, canary_world())
    ws.store.append(
        inc, "decision.recorded", {"option": "benign", "rationale": "not confirmed at all"}, "a"
    )
    assert not forum.prepare_report(ws, inc).confirmed
    ws.store.append(inc, "decision.recorded", {"option": "campaign", "rationale": "yes"}, "a")
    assert forum.prepare_report(ws, inc).confirmed
    ws.close()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"id": 5, "status": "complete"}',
        b'{"id": "s", "status": "done"}',
        b'{"id": "s", "status": "complete", "success_count": -1}',
        b'{"id": "s", "status": "complete", "failures": [{"message": "no id"}]}',
        b'{"id": "s", "status": "complete", "successes": "all"}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_a_malformed_status_after_a_post_is_never_recorded_as_submitted(
    tmp_path: Path, body: bytes
) -> None:
    ws, inc = _ready(tmp_path)
    server = FakeForum()
    server.post = lambda objects: httpx.Response(202, headers=TAXII, content=body)
    with pytest.raises(ExternalServiceError, match="malformed"):
        report_submission.submit_report(ws, inc, transport=httpx.MockTransport(server))
    assert _types(ws, inc) == ["report.prepared", "report.attempt_failed"]
    # The server may have stored the objects anyway: the re-run asks it before sending.
    server.post = server.accept
    stored = {o["id"] for r in server.posts for o in json.loads(r.read())["objects"]}
    result = report_submission.submit_report(ws, inc, transport=httpx.MockTransport(server))
    assert result.complete
    gets = [r for r in server.requests if r.method == "GET" and "match[id]" in r.url.params]
    assert gets and stored
    ws.close()


def test_cli_errors_are_one_line_with_distinct_exit_codes(
    tmp_path: Path, ircli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "ircli.toml"
    config.write_text("responder = 'alice'\n")
    monkeypatch.setenv("IRCLI_CONFIG", str(config))
    assert ircli("incident", "new", "--title", "x", "--tlp", "RED").code == 0
    missing = ircli("report", "INC-0001", "--dry-run")
    assert missing.code == 5 and "no [forum] table" in missing.err
    lines = ["[forum]"] + [f"{k} = {json.dumps(v)}" for k, v in FORUM.items()]
    config.write_text("\n".join(lines) + "\n")
    dry = ircli("report", "INC-0001", "--dry-run", "-o", str(tmp_path / "out"))
    assert dry.code == 0 and "cannot be submitted" in dry.err
    refused = ircli("report", "INC-0001", "--execute")
    assert refused.code == 12 and "TLP:RED" in refused.err
    assert refused.err.count("\n") == 2  # one line and its hint, no traceback
    unknown = ircli("intel", "pull", "INC-0001", "--source", "nope")
    assert unknown.code == 3
