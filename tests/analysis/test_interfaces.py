"""ircli analyze on files and on an incident's evidence; the scoring harness."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from world import MiniWorld

from ircli.analysis.scoring import Label, adjusted_rand_index, kind_of, score
from ircli.errors import IntegrityError, NotFoundError
from ircli.services.analysis import analysis_step, analyze_incident, latest_analysis
from ircli.services.incidents import incident_timeline, open_incident


@pytest.fixture
def files(world: MiniWorld, tmp_path: Path) -> dict[str, Path]:
    req, acc, rel = world.tables()
    out = {}
    for name, table in (("requests", req), ("accounts", acc), ("releases", rel)):
        out[name] = tmp_path / f"{name}.parquet"
        pq.write_table(table, out[name])
    return out


def test_analyze_files_json_contract(ircli: Any, files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "analysis.json"
    r = ircli(
        "analyze",
        "--requests",
        str(files["requests"]),
        "--accounts",
        str(files["accounts"]),
        "--releases",
        str(files["releases"]),
        "-o",
        str(out),
        "--format",
        "json",
    )
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data == json.loads(out.read_text())
    for acc in data["accounts"]:
        assert set(acc) >= {"account_id", "verdict", "score", "cluster_id", "reasons"}
        assert acc["verdict"] in ("alert", "watch", "policy", "clear")
        assert isinstance(acc["score"], float) and all(isinstance(x, str) for x in acc["reasons"])
    for cl in data["clusters"]:
        assert set(cl) >= {"cluster_id", "accounts", "score", "evidence"}
        assert cl["evidence"], "every cluster carries evidence"
    assert data["summary"]["alerted"] > 0


def test_analyze_table_for_people(ircli: Any, files: dict[str, Path]) -> None:
    r = ircli("analyze", "--requests", str(files["requests"]), "--accounts", str(files["accounts"]))
    assert r.code == 0
    assert "hydra-0" in r.out and "alert" in r.out and "CLUSTER" in r.out
    assert "user-0" not in r.out  # clear accounts only with --all
    assert "accounts" in r.err


def test_analyze_bad_input(ircli: Any, files: dict[str, Path], tmp_path: Path) -> None:
    assert ircli("analyze").code == 2
    missing = ircli(
        "analyze",
        "--requests",
        str(tmp_path / "nope.parquet"),
        "--accounts",
        str(files["accounts"]),
    )
    assert missing.code == 3 and "no such file" in missing.err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"account_id": "a"}\n')
    r = ircli("analyze", "--requests", str(bad), "--accounts", str(files["accounts"]))
    assert r.code == 4 and "lacks required column" in r.err


def _add_evidence(ws: Any, incident: str, table: str, path: Path) -> None:
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    rel = Path("evidence") / sha[:2] / f"{sha}.parquet"
    dest = ws.store.files_dir / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    ws.store.append(
        incident,
        "evidence.added",
        {
            "evidence_id": f"EV-{table}",
            "table": table,
            "records": 1,
            "files": {"parquet": {"sha256": sha, "bytes": len(data), "path": str(rel)}},
        },
        ws.actor,
    )


def test_analyze_incident_is_journaled_and_content_addressed(
    ws: Any, files: dict[str, Path]
) -> None:
    inc = open_incident(ws, title="hydra").id
    for table in ("requests", "accounts", "releases"):
        _add_evidence(ws, inc, table, files[table])
    done = analyze_incident(ws, inc)
    event = list(ws.store.events(inc, types=["analysis.completed"]))[-1]
    assert event.payload["result_sha256"] == hashlib.sha256(done.path.read_bytes()).hexdigest()
    assert {i["table"] for i in event.payload["inputs"]} == {"requests", "accounts", "releases"}
    assert event.payload["summary"]["alerted"] == done.summary["alerted"] > 0
    assert latest_analysis(ws, inc).result == done.result
    assert any("Analysis AN-" in e.message for e in incident_timeline(ws, inc))
    step = analysis_step(ws, inc, seeds="hydra-0, hydra-1")
    assert step["alert_accounts"] == done.summary["alerted"] > 0
    assert step["cluster_id"] == step["cluster"]["cluster_id"]
    assert {f"hydra-{i}" for i in range(6)} <= set(step["cluster"]["accounts"])
    assert {f"hydra-{i}" for i in range(6)} <= set(step["alert_account_ids"])
    # A re-run of the step (after a crash) reuses the analysis of the same evidence.
    assert len(list(ws.store.events(inc, types=["analysis.completed"]))) == 1
    # Analysed again, the same evidence gives the same analysis; only the run's duration,
    # journaled beside it, is its own.
    again = analyze_incident(ws, inc)
    assert (again.analysis_id, again.result_sha256) == (done.analysis_id, done.result_sha256)
    second = list(ws.store.events(inc, types=["analysis.completed"]))[-1]
    assert second.payload["seconds"] > 0 and "seconds" not in done.result["summary"]


def test_step_handlers_are_installed() -> None:
    from ircli.services.steps import get_handler

    assert hasattr(get_handler("analysis.assess"), "run")
    assert hasattr(get_handler("analysis.expand"), "run")


def test_analyze_incident_refuses_altered_evidence(ws: Any, files: dict[str, Path]) -> None:
    inc = open_incident(ws, title="hydra").id
    with pytest.raises(NotFoundError):
        analyze_incident(ws, inc)
    for table in ("requests", "accounts"):
        _add_evidence(ws, inc, table, files[table])
    event = next(iter(ws.store.events(inc, types=["evidence.added"])))
    target = ws.store.files_dir / event.payload["files"]["parquet"]["path"]
    target.write_bytes(target.read_bytes() + b"x")
    with pytest.raises(IntegrityError):
        analyze_incident(ws, inc)


def test_adjusted_rand_index() -> None:
    assert adjusted_rand_index(list("aabb"), list("xxyy")) == 1.0
    assert adjusted_rand_index(list("aabb"), list("xyxy")) < 0
    assert 0 < adjusted_rand_index(list("aaabbb"), list("xxxyyz")) < 1


def test_scorecard_counts_alerts_per_archetype() -> None:
    labels = [
        Label("a1", "hydra_cot", "C1", "attack", 10),
        Label("a2", "hydra_cot", "C1", "attack", 30),
        Label("b1", "background", None, "benign"),
        Label("p1", "ratelimit_evasion", "P1", "policy"),
    ]
    analysis = {
        "accounts": [
            {"account_id": "a1", "verdict": "alert", "cluster_id": "K"},
            {"account_id": "a2", "verdict": "watch", "cluster_id": "K"},
            {"account_id": "b1", "verdict": "clear", "cluster_id": None},
            {"account_id": "p1", "verdict": "policy", "cluster_id": None},
        ]
    }
    card = score(labels, analysis)
    assert card.recall["hydra_cot"][0] == 0.5
    assert card.fpr["background"][0] == 0.0
    assert card.exchange_recall == 0.25
    assert card.policy_routing == (1.0, 1)
    assert not card.passed
    assert (
        kind_of("ratelimit_evasion", "P1") == "policy" and kind_of("campus_nat", None) == "benign"
    )


def test_demo_score_command(ircli: Any, tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        '{"account_id": "a", "archetype": "hydra_cot", "campaign_id": "C1", "is_attack": true}\n'
    )
    analysis = tmp_path / "analysis.json"
    record = {"account_id": "a", "verdict": "alert", "cluster_id": "K", "requests": 5}
    analysis.write_text(json.dumps({"accounts": [record]}))
    args = ("demo", "score", "--labels", str(labels), "--analysis", str(analysis))
    r = ircli(*args)
    assert r.code == 0 and "hydra_cot" in r.out and "1.000" in r.out
    assert json.loads(ircli(*args, "--json").out)["recall"]["hydra_cot"]["value"] == 1.0
    analysis.write_text("not json")
    bad = ircli(*args)
    assert bad.code == 4 and "not JSON" in bad.err


def test_analyze_incident_on_pulled_evidence(
    ircli: Any, files: dict[str, Path], tmp_path: Path
) -> None:
    config = "".join(
        f'[sources.{t}]\ntype = "file"\ntable = "{t}"\npath = "{files[t]}"\n'
        for t in ("requests", "accounts", "releases")
    )
    (tmp_path / "ircli.toml").write_text(config)
    assert ircli("incident", "new", "--title", "hydra").code == 0
    for table in ("requests", "accounts", "releases"):
        r = ircli("evidence", "pull", "INC-0001", "--source", table)
        assert r.code == 0, r.err
    r = ircli("analyze", "INC-0001", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["summary"]["alerted"] > 0
    event = ircli("incident", "show", "INC-0001", "--json")
    assert any(e["type"] == "analysis.completed" for e in json.loads(event.out)["timeline"])
