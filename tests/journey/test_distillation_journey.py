"""The distillation playbook end to end, through the CLI, on a generated world, against
real servers: evidence from files, analysis, Forum intel from medallion, termination
through scim2-server approved by two other responders in their own processes, the Forum
report approved and submitted, the incident closed and its timeline exported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
import yaml
from intel_world import HMAC_KEY, PASSWORD, Medallion, forum_indicator

from ircli.exitcodes import ExitCode
from ircli.services.world import generate_world
from tests.actions.conftest import SCIM_TOKEN

pytestmark = pytest.mark.integration

SCIM_HEADERS = {"Authorization": f"Bearer {SCIM_TOKEN}", "Content-Type": "application/scim+json"}


def _provision(url: str, accounts: list[str]) -> None:
    with httpx.Client(base_url=url, headers=SCIM_HEADERS, timeout=60) as client:
        for start in range(0, len(accounts), 1000):
            ops = [
                {
                    "method": "POST",
                    "path": "/Users",
                    "bulkId": str(i),
                    "data": {
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": account,
                    },
                }
                for i, account in enumerate(accounts[start : start + 1000])
            ]
            body = {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": ops,
            }
            assert client.post("/Bulk", content=json.dumps(body)).status_code == 200


def _inactive(url: str) -> set[str]:
    out: set[str] = set()
    with httpx.Client(base_url=url, headers=SCIM_HEADERS, timeout=60) as client:
        start = 1
        while True:
            page = client.get("/Users", params={"startIndex": start, "count": 1000}).json()
            out |= {u["userName"] for u in page.get("Resources", []) if u.get("active") is False}
            start += page["itemsPerPage"]
            if start > page["totalResults"] or not page["itemsPerPage"]:
                return out


def _cli(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ircli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def _toml(data: dict[str, Any], prefix: str = "") -> str:
    """A small TOML writer for the test's config (strings, numbers, bools, tables)."""
    scalars = [f"{k} = {json.dumps(v)}" for k, v in data.items() if not isinstance(v, dict)]
    tables = [
        f"\n[{prefix}{k}]\n" + _toml(v, f"{prefix}{k}.")
        for k, v in data.items()
        if isinstance(v, dict)
    ]
    return "\n".join(scalars) + "\n" + "".join(tables)


def _query(sql: str) -> list[tuple[Any, ...]]:
    return duckdb.sql(sql).fetchall()


def test_the_whole_distillation_journey(tmp_path: Path, medallion: Any, scim_server: str) -> None:
    world = tmp_path / "world"
    generate_world("tiny", 5, world)
    labels = world / "labels.parquet"
    accounts = [r[0] for r in _query(f"SELECT account_id FROM '{world / 'accounts.parquet'}'")]
    _provision(scim_server, accounts)
    # Seeds: three accounts of the largest campaign, as a detector would page with.
    campaign = _query(
        f"SELECT campaign_id FROM '{labels}' WHERE campaign_id IS NOT NULL "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )[0][0]
    members = {
        r[0] for r in _query(f"SELECT account_id FROM '{labels}' WHERE campaign_id = '{campaign}'")
    }
    seeds = sorted(members)[:3]
    attackers = {r[0] for r in _query(f"SELECT account_id FROM '{labels}' WHERE is_attack")}
    # Another lab shared one of the campaign's exit IPs through the Forum.
    shared_ip = _query(
        f"SELECT src_ip FROM '{world / 'requests.parquet'}' WHERE account_id = '{seeds[0]}' "
        "AND src_ip IS NOT NULL AND src_ip NOT LIKE '%:%' LIMIT 1"
    )[0][0]
    server: Medallion = medallion(
        [forum_indicator(1, f"[ipv4-addr:value = '{shared_ip}']", name="exit")]
    )

    forum = server.forum_table()
    config = {
        "responder": "alice",
        "store": {"path": "store.db"},
        "sources": {
            "logs": {"type": "file", "path": "world/requests.parquet", "table": "requests"},
            "accounts": {"type": "file", "path": "world/accounts.parquet", "table": "accounts"},
        },
        "actions": {
            "contain": {
                "type": "scim",
                "base_url": scim_server,
                "token_secret": "scim",
                "concurrency": 4,
            }
        },
        "forum": forum,
    }
    (tmp_path / "ircli.toml").write_text(_toml(config))
    answers = {
        "intake": {"seeds": ",".join(seeds), "window": "400d"},
        "exculpatory": True,
        "classify": {
            "option": "campaign",
            "rationale": "confirmed: shared payment fingerprints and exit IPs across orgs",
        },
        "notify": True,
        "close": {"summary": "Campaign contained and reported to the Forum"},
    }
    (tmp_path / "answers.yaml").write_text(yaml.safe_dump(answers))
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRCLI_")}
    env.update(
        {
            "IRCLI_SECRET_SCIM": SCIM_TOKEN,
            "IRCLI_SECRET_FORUM": PASSWORD,
            "IRCLI_SECRET_FORUM_HMAC": HMAC_KEY,
            "HOME": str(tmp_path / "home"),
        }
    )
    run = (
        "run",
        "distillation",
        "--incident",
        "INC-0001",
        "--answers",
        "answers.yaml",
        "--non-interactive",
        "--json",
    )

    first = _cli(
        tmp_path,
        env,
        "run",
        "distillation",
        "--title",
        "Hydra cluster from detector page",
        *run[4:],
    )
    assert first.returncode == ExitCode.WAITING_FOR_APPROVAL, first.stderr
    waiting = json.loads(first.stdout)["waiting_for"]
    assert waiting["step"] == "contain" and waiting["approval"]["required"] == 2
    assert _inactive(scim_server) == set()  # nothing is done before the approvals

    # The requester cannot approve; two others can, each from their own process.
    own = _cli(tmp_path, env, "approve", "INC-0001", "contain")
    assert own.returncode == ExitCode.REFUSED and "two-person rule" in own.stderr
    for approver in ("bob", "carol"):
        granted = _cli(tmp_path, env, "--as", approver, "approve", "INC-0001", "contain")
        assert granted.returncode == 0, granted.stderr

    second = _cli(tmp_path, env, *run)
    assert second.returncode == ExitCode.WAITING_FOR_APPROVAL, second.stderr
    assert json.loads(second.stdout)["waiting_for"]["step"] == "report"
    terminated = _inactive(scim_server)
    assert len(terminated) >= 10
    assert terminated <= attackers, f"benign accounts terminated: {sorted(terminated - attackers)}"
    assert set(seeds) <= terminated

    assert _cli(tmp_path, env, "--as", "bob", "approve", "INC-0001", "report").returncode == 0
    third = _cli(tmp_path, env, *run)
    assert third.returncode == 0, third.stderr
    assert json.loads(third.stdout)["status"] == "completed"

    shown = json.loads(_cli(tmp_path, env, "incident", "show", "INC-0001", "--json").stdout)
    assert shown["status"] == "closed"
    types = [e["type"] for e in shown["timeline"]]
    for expected in (
        "evidence.added",
        "analysis.completed",
        "intel.sighting",
        "decision.recorded",
        "action.completed",
        "report.submitted",
        "incident.closed",
    ):
        assert expected in types, expected
    # The ledger says exactly what the account system shows.
    status = json.loads(
        _cli(tmp_path, env, "act", "INC-0001", "contain", "--status", "--json").stdout
    )
    succeeded = {t["account"] for t in status["targets"] if t["state"] == "succeeded"}
    assert succeeded == terminated
    assert status["counts"].get("failed", 0) == 0
    # The Forum holds the report, and no account id reached it.
    from taxii2client.v21 import Collection, as_pages

    coll = Collection(server.collection_url(server.reports), user=server.user, password=PASSWORD)
    objects = [
        o for page in as_pages(coll.get_objects, per_request=200) for o in page.get("objects", [])
    ]
    assert any(o["type"] in ("report", "grouping") for o in objects)
    text = json.dumps(objects)
    assert not any(account in text for account in terminated)
    # The journal and the evidence verify; the exported report is on disk.
    assert _cli(tmp_path, env, "verify").returncode == 0
    assert _cli(tmp_path, env, "evidence", "verify", "INC-0001").returncode == 0
    export_step = [
        e for e in shown["timeline"] if e["type"] == "step.completed" and "'export'" in e["message"]
    ]
    assert export_step, "the export step did not complete"
    from ircli.store import Store

    with Store(tmp_path / "store.db") as store:
        done = [
            e.payload["outputs"]
            for e in store.events("INC-0001", types=["step.completed"])
            if e.payload.get("step") == "export"
        ]
    report = Path(done[-1]["path"])
    assert report.suffix == ".html" and "INC-0001" in report.read_text(encoding="utf-8")
