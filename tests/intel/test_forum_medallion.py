"""End to end against a real medallion TAXII 2.1 server: pull, match, build, submit, read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from intel_world import (
    ATTACKERS,
    BYSTANDERS,
    OTHER_LAB,
    T0,
    Medallion,
    canary_world,
    forum_indicator,
    forum_objects,
    forum_ws,
    write_evidence,
)

from ircli.errors import ExternalServiceError, RefusedError, WaitingError
from ircli.intel.tlp import TLP2_IDS
from ircli.services import forum, intel, report_submission
from ircli.services.incidents import open_incident

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("secrets_env")]


def _events(ws: Any, incident: str, kind: str) -> list[dict[str, Any]]:
    return [e.payload for e in ws.store.events(incident, types=[kind])]


def _read_back(server: Medallion, collection: str) -> list[dict[str, Any]]:
    from taxii2client.v21 import Collection, as_pages

    coll = Collection(server.collection_url(collection), user=server.user, password=server.password)
    found: list[dict[str, Any]] = []
    for envelope in as_pages(coll.get_objects, per_request=50):
        found.extend(envelope.get("objects", []))
    return found


def test_pull_follows_pages_and_then_asks_only_for_what_was_added(
    medallion: Any, tmp_path: Path
) -> None:
    server = medallion(forum_objects(), max_page_size=3)
    ws = forum_ws(tmp_path, server.forum_table())
    inc = open_incident(ws, title="Hydra cluster").id

    first = intel.pull_intel(ws, inc)
    assert first.objects == 12 and first.pages == 4  # 12 objects, pages of 3
    assert first.added_after is None
    assert first.high_water == "2026-03-01T09:00:11.000000Z"
    assert first.indicators == 11
    unsupported = {u["id"][-2:]: u["reason"] for u in first.unsupported}
    assert set(unsupported) == {"09", "10", "11"}
    assert "FOLLOWEDBY" in unsupported["10"] and "sigma" in unsupported["11"]
    kept = {i.id for i in intel.intel_indicators(ws, inc)}
    assert forum_indicator(9, "")["id"] in kept  # unsupported indicators are kept, not dropped

    from taxii2client.v21 import Collection

    coll = Collection(
        server.collection_url(server.intel), user=server.user, password=server.password
    )
    coll.add_objects({"objects": [forum_indicator(12, "[ipv4-addr:value = '203.0.113.10']")]})

    second = intel.pull_intel(ws, inc)
    assert second.added_after == first.high_water
    assert second.objects == 1 and second.indicators == 1
    assert second.high_water is not None and second.high_water > first.high_water

    third = intel.pull_intel(ws, inc)
    assert third.objects == 0 and not third.recorded
    pulls = _events(ws, inc, "intel.pulled")
    assert [p["high_water"] for p in pulls] == [first.high_water, second.high_water]
    assert pulls[0]["identities"] == {OTHER_LAB: "Other Lab"}
    ws.close()


def test_collections_are_discovered(medallion: Any, tmp_path: Path) -> None:
    server = medallion(forum_objects())
    ws = forum_ws(tmp_path, server.forum_table())
    found = intel.describe_intel_server(ws)
    assert found["api_root"]["url"] == f"{server.url}api1/"
    assert {c["id"] for c in found["collections"]} == {server.intel, server.reports}
    assert all(c["can_read"] and c["can_write"] for c in found["collections"])
    ws.close()


def test_matching_records_one_sighting_per_indicator_seen(medallion: Any, tmp_path: Path) -> None:
    server = medallion(forum_objects())
    ws = forum_ws(tmp_path, server.forum_table())
    inc = open_incident(ws, title="Hydra cluster", subjects=ATTACKERS[:1]).id
    intel.pull_intel(ws, inc)
    write_evidence(ws, inc, canary_world())

    sightings = {s["indicator"][-2:]: s for s in intel.match_intel(ws, inc)}
    assert set(sightings) == {"01", "02", "03", "04", "05", "06", "07"}
    for s in sightings.values():
        assert set(s["accounts"]) <= set(ATTACKERS)
        assert s["source"] == OTHER_LAB and s["source_name"] == "Other Lab"
        assert s["first_seen"] <= s["last_seen"]
    assert set(sightings["03"]["accounts"]) == set(ATTACKERS)  # shared payment fingerprint
    assert sightings["03"]["count"] == 3
    assert sightings["01"]["matched"][0]["kind"] == "ip"
    assert sightings["02"]["count"] == len(
        [r for r in canary_world().requests if r.get("asn") == 64500]
    )
    events_before = ws.store.head(inc)[0]
    intel.match_intel(ws, inc)
    assert ws.store.head(inc)[0] == events_before  # nothing changed: nothing recorded

    variables = intel.intel_variables(ws, inc)
    assert variables["intel_sightings"] == 7
    assert variables["intel_matched_accounts"] == sorted(ATTACKERS)
    assert variables["intel_sources"] == ["Other Lab"]
    reasons = intel.intel_reasons(ws, inc)
    assert set(reasons) == set(ATTACKERS) and not set(reasons) & set(BYSTANDERS)
    assert any("hydra exits" in r and "Other Lab" in r for r in reasons[ATTACKERS[1]])
    ws.close()


def _prepared_and_approved(
    server: Medallion, tmp_path: Path, **forum_overrides: Any
) -> tuple[Any, str]:
    ws = forum_ws(tmp_path, server.forum_table(**forum_overrides))
    inc = open_incident(ws, title="Hydra cluster", subjects=ATTACKERS).id
    intel.pull_intel(ws, inc)
    write_evidence(ws, inc, canary_world())
    intel.match_intel(ws, inc)
    forum.prepare_report(ws, inc, out_dir=tmp_path / "review", confirmed=True)
    bob = forum_ws(tmp_path, server.forum_table(**forum_overrides), actor="bob")
    forum.approve_report(bob, inc)
    bob.close()
    return ws, inc


def test_submit_then_read_back_with_the_reference_client(medallion: Any, tmp_path: Path) -> None:
    server = medallion(forum_objects())
    ws, inc = _prepared_and_approved(server, tmp_path)
    review = tmp_path / "review"
    bundles = {
        n: json.loads((review / f"{n}.json").read_text()) for n in ("indicators", "narrative")
    }

    from stix2validator import ValidationOptions, validate_instance

    for bundle in bundles.values():
        assert validate_instance(bundle, ValidationOptions(version="2.1")).errors == []
    result = report_submission.submit_report(ws, inc)
    assert result.complete and result.failures == []
    submitted = _events(ws, inc, "report.submitted")
    assert submitted and all(s["failure_count"] == 0 for s in submitted)
    assert {s["status_id"] for s in submitted} == set(result.status_ids)

    stored = {o["id"]: o for o in _read_back(server, server.reports)}
    sent = {o["id"]: o for b in bundles.values() for o in b["objects"]}
    assert set(stored) == set(sent)
    for ident, obj in sent.items():
        assert stored[ident].get("object_marking_refs") == obj.get("object_marking_refs")
        assert stored[ident] == obj
    amber = TLP2_IDS["AMBER"]
    assert (
        stored[amber]["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"][
            "tlp_2_0"
        ]
        == "amber"
    )
    assert any(o["type"] == "report" for o in stored.values())
    sightings = [o for o in stored.values() if o["type"] == "sighting"]
    assert {s["sighting_of_ref"][-2:] for s in sightings} == {
        "01",
        "02",
        "03",
        "04",
        "05",
        "06",
        "07",
    }

    again = report_submission.submit_report(ws, inc)  # nothing left to send
    assert again.sent == {} and again.complete
    ws.close()


def test_large_reports_are_split_under_the_servers_content_limit(
    medallion: Any, tmp_path: Path
) -> None:
    server = medallion(forum_objects(), max_content_length=6000)
    ws, inc = _prepared_and_approved(server, tmp_path)
    result = report_submission.submit_report(ws, inc)
    assert len(result.status_ids) > 2 and result.complete
    assert len(_read_back(server, server.reports)) == result.total
    ws.close()


class DroppingTransport(httpx.BaseTransport):
    """Forwards to the real server, but the first POST loses one object on the way and
    the status says so — a partial failure as the server reports it."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.dropped: str | None = None
        self.version = ""
        self.posted: list[list[str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return self.inner.handle_request(request)
        envelope = json.loads(request.read())
        ids = [o["id"] for o in envelope["objects"]]
        self.posted.append(ids)
        drop = self.dropped is None
        if drop:
            victim = next(o for o in envelope["objects"] if o["type"] == "indicator")
            self.dropped, self.version = victim["id"], victim["modified"]
            envelope["objects"].remove(victim)
        body = json.dumps(envelope).encode()
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        forwarded = httpx.Request(request.method, request.url, headers=headers, content=body)
        response = self.inner.handle_request(forwarded)
        status = json.loads(response.read())
        if drop:
            status["failure_count"] = status.get("failure_count", 0) + 1
            status["total_count"] = len(ids)
            status.setdefault("failures", []).append(
                {"id": self.dropped, "version": self.version, "message": "quota exceeded"}
            )
        return httpx.Response(
            response.status_code,
            headers={"Content-Type": "application/taxii+json;version=2.1"},
            content=json.dumps(status).encode(),
        )


def test_partial_failure_is_shown_and_resubmission_sends_only_the_failed_objects(
    medallion: Any, tmp_path: Path
) -> None:
    from ircli.errors import PartialFailureError

    server = medallion(forum_objects())
    ws, inc = _prepared_and_approved(server, tmp_path)
    transport = DroppingTransport()
    with pytest.raises(PartialFailureError) as caught:
        report_submission.submit_report(ws, inc, transport=transport)
    assert transport.dropped is not None
    assert transport.dropped in caught.value.message and "quota exceeded" in caught.value.message
    failed = _events(ws, inc, "report.submitted")[0]
    assert failed["failure_count"] == 1 and failed["failures"][0]["id"] == transport.dropped
    assert transport.dropped not in failed["successes"]

    transport.posted.clear()
    result = report_submission.submit_report(ws, inc, transport=transport)
    assert transport.posted == [[transport.dropped]]  # only the failed object, same id
    assert result.complete
    stored = {o["id"] for o in _read_back(server, server.reports)}
    assert transport.dropped in stored and len(stored) == result.total
    ws.close()


def test_tlp_red_incident_is_refused_for_an_amber_collection(
    medallion: Any, tmp_path: Path
) -> None:
    server = medallion(forum_objects())
    ws = forum_ws(tmp_path, server.forum_table())
    inc = open_incident(ws, title="Hydra cluster", tlp="RED", subjects=ATTACKERS).id
    write_evidence(ws, inc, canary_world())
    prepared = forum.prepare_report(ws, inc)
    assert not prepared.submittable and "TLP:RED" in (prepared.refusal or "")
    bob = forum_ws(tmp_path, server.forum_table(), actor="bob")
    forum.approve_report(bob, inc)
    with pytest.raises(RefusedError) as caught:
        report_submission.submit_report(ws, inc)
    assert "TLP:RED" in caught.value.message and "TLP:AMBER" in caught.value.message
    assert _events(ws, inc, "report.posted") == []
    assert _read_back(server, server.reports) == []
    ws.close()


def test_submission_waits_for_a_second_responder(medallion: Any, tmp_path: Path) -> None:
    server = medallion(forum_objects())
    ws = forum_ws(tmp_path, server.forum_table())
    inc = open_incident(ws, title="Hydra cluster", subjects=ATTACKERS).id
    write_evidence(ws, inc, canary_world())
    forum.prepare_report(ws, inc)
    with pytest.raises(WaitingError):
        report_submission.submit_report(ws, inc)
    with pytest.raises(RefusedError, match="two-person rule"):
        forum.approve_report(ws, inc)
    assert _events(ws, inc, "report.posted") == []
    ws.close()


def test_only_the_configured_approvers_may_approve(medallion: Any, tmp_path: Path) -> None:
    server = medallion(forum_objects())
    table = server.forum_table(approvers=["leads"])
    ws = forum_ws(tmp_path, table)
    inc = open_incident(ws, title="Hydra cluster", subjects=ATTACKERS).id
    write_evidence(ws, inc, canary_world())
    forum.prepare_report(ws, inc)
    from ircli.config import Config
    from ircli.core.clock import FixedClock
    from ircli.services.workspace import Workspace

    config = Config(forum=table, policies={"roles": {"leads": ["carol"]}})
    bob = Workspace(tmp_path / "store.db", config, "bob", FixedClock(T0))
    with pytest.raises(RefusedError, match="may not approve"):
        forum.approve_report(bob, inc)
    carol = Workspace(tmp_path / "store.db", config, "carol", FixedClock(T0))
    assert forum.approve_report(carol, inc).satisfied
    bob.close()
    carol.close()
    ws.close()


def test_wrong_password_is_a_clear_error_and_nothing_is_recorded(
    medallion: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = medallion(forum_objects())
    ws, inc = _prepared_and_approved(server, tmp_path)
    monkeypatch.setenv("IRCLI_SECRET_FORUM", "wrong")
    pulls = len(_events(ws, inc, "intel.pulled"))
    with pytest.raises(ExternalServiceError, match="401") as caught:
        intel.pull_intel(ws, inc, full=True)
    assert "ircli auth set" in (caught.value.hint or "")
    assert len(_events(ws, inc, "intel.pulled")) == pulls
    with pytest.raises(ExternalServiceError, match="401"):
        report_submission.submit_report(ws, inc)
    assert _events(ws, inc, "report.submitted") == []
    assert _read_back(server, server.reports) == []
    ws.close()


def test_the_cli_walks_dry_run_approve_execute(
    medallion: Any, tmp_path: Path, ircli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = medallion(forum_objects())
    config = tmp_path / "ircli.toml"
    lines = ["[forum]"] + [f"{k} = {json.dumps(v)}" for k, v in server.forum_table().items()]
    config.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("IRCLI_CONFIG", str(config))
    ws = forum_ws(tmp_path, server.forum_table())
    inc = open_incident(ws, title="Hydra cluster", subjects=ATTACKERS).id
    write_evidence(ws, inc, canary_world())
    ws.close()

    pulled = ircli("--as", "alice", "intel", "pull", inc, "--json")
    assert pulled.code == 0 and json.loads(pulled.out)["indicators"] == 11
    assert ircli("--as", "alice", "intel", "match", inc).code == 0
    dry = ircli("--as", "alice", "report", inc, "--dry-run", "-o", str(tmp_path / "out"))
    assert dry.code == 0, dry.err
    assert "keyed hash" in dry.err and "never shared" in dry.err
    assert (tmp_path / "out" / "indicators.json").is_file()
    assert (tmp_path / "out" / "narrative.json").is_file()
    waiting = ircli("--as", "alice", "report", inc, "--execute")
    assert waiting.code == 11 and "approval" in waiting.err
    pending = ircli("--as", "bob", "approvals", "--json")
    assert [(p["incident"], p["step"]) for p in json.loads(pending.out)] == [(inc, "report")]
    assert ircli("--as", "bob", "approve", inc, "report").code == 0
    done = ircli("--as", "alice", "report", inc, "--execute", "--json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["complete"] is True
    shown = ircli("incident", "show", inc)
    assert "Forum accepted" in shown.out and "Sighted" in shown.out
    assert T0.year == 2026
