"""The same slice from a file, a loopback HTTP log API and a real ClickHouse gives the
identical normalised record set."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from evidence_clickhouse import CLICKHOUSE_PASSWORD, ch_query
from evidence_world import API_MAPPING, epoch_us, write_jsonl

from ircli.config import parse_config
from ircli.core.clock import FixedClock
from ircli.evidence.sources import SourceEnv
from ircli.evidence.sources.clickhouse import quote
from ircli.secrets import Secret
from ircli.services.evidence import evidence_rows, pull_evidence
from ircli.services.incidents import open_incident
from ircli.services.workspace import Workspace

CH_COLUMNS = """
    request_id String, ts_us UInt64, account_id String, org_id Nullable(String),
    api_key_id Nullable(String), src_ip Nullable(String), asn Nullable(Int64),
    asn_type Nullable(String), country Nullable(String), user_agent Nullable(String),
    endpoint Nullable(String), model String, prompt_text Nullable(String),
    prompt_hash Nullable(String), system_prompt_hash Nullable(String), input_tokens Int64,
    output_tokens Int64, thinking_tokens Nullable(Int64), n_messages Nullable(Int64),
    tools_hash Nullable(String), stop_reason Nullable(String), end_user_id Nullable(String),
    status Nullable(Int64)
"""


def load_clickhouse(url: str, table: str, records: list[dict[str, Any]]) -> None:
    ch_query(url, "CREATE DATABASE IF NOT EXISTS logs")
    ch_query(url, f"DROP TABLE IF EXISTS logs.{table}")
    ch_query(
        url,
        f"CREATE TABLE logs.{table} ({CH_COLUMNS}) ENGINE = MergeTree ORDER BY (ts_us, request_id)",
    )
    rows = []
    for rec in records:
        row = dict(rec)
        row["ts_us"] = epoch_us(row.pop("ts"))
        rows.append(json.dumps(row, ensure_ascii=False))
    ch_query(url, f"INSERT INTO logs.{table} FORMAT JSONEachRow", "\n".join(rows).encode())


def clickhouse_source(url: str, table: str, **over: Any) -> dict[str, Any]:
    return {
        "type": "clickhouse",
        "url": url,
        "from": f"logs.{table}",
        "user": "default",
        "password_secret": "clickhouse",
        "page_size": 250,
        "mapping": {"ts": {"field": "ts_us", "transform": "epoch_us"}},
    } | over


def secrets_env() -> SourceEnv:
    values = {"clickhouse": CLICKHOUSE_PASSWORD, "logs": "api-token-1"}
    return SourceEnv(secret=lambda name: Secret(name, values[name]))


def pull_slice(
    ws: Workspace, inc: str, name: str, accounts: list[str], since: str, until: str
) -> pa.Table:
    item = pull_evidence(
        ws, inc, name, accounts=accounts, since=since, until=until, env=secrets_env()
    )
    assert item.quarantined == 0
    return evidence_rows(ws, item).sort_by("request_id")


@pytest.mark.integration
def test_file_http_and_clickhouse_agree_on_a_tiny_world_slice(
    tmp_path: Path,
    clock: FixedClock,
    tiny_world: Path,
    logapi: Callable[..., str],
    clickhouse: str,
) -> None:
    import pyarrow.parquet as pq

    requests = pq.read_table(tiny_world / "requests.parquet")
    labels = pq.read_table(tiny_world / "labels.parquet").to_pylist()
    # Seeds: a few accounts of one campaign and a few benign ones, over three of the days.
    campaign = sorted({r["campaign_id"] for r in labels if r["campaign_id"]})[0]
    seeds = [r["account_id"] for r in labels if r["campaign_id"] == campaign][:6]
    seeds += [r["account_id"] for r in labels if not r["is_attack"]][:6]
    since, until = "2026-03-03T00:00:00Z", "2026-03-06T00:00:00Z"
    records = [_jsonable(r) for r in requests.to_pylist()]
    jsonl = write_jsonl(tmp_path / "requests.jsonl", records)
    base = logapi("--file", str(jsonl), "--token", "api-token-1", "--page-size", "200")
    load_clickhouse(clickhouse, "agree", records)
    sources = {
        "parquet": {"type": "file", "path": str(tiny_world / "requests.parquet")},
        "jsonl": {"type": "file", "path": str(jsonl)},
        "api": {
            "type": "http",
            "url": base + "/v1/requests",
            "params": {"accounts": "{accounts}", "since": "{since}", "until": "{until}"},
            "auth": {"secret": "logs"},
            "records": "data",
            "pagination": {"kind": "cursor", "cursor_field": "next_cursor"},
            "mapping": API_MAPPING,
        },
        "warehouse": clickhouse_source(clickhouse, "agree", page_size=500),
    }
    ws = Workspace(tmp_path / "store.db", parse_config({"sources": sources}), "alice", clock)
    inc = open_incident(ws, title="t", subjects=seeds).id
    pulled = {
        name: pull_slice(ws, inc, name, seeds, since, until)
        for name in ("parquet", "jsonl", "api", "warehouse")
    }
    want = sorted(
        r["request_id"] for r in records if r["account_id"] in seeds and since <= r["ts"] < until
    )
    assert len(want) > 200
    assert pulled["parquet"].column("request_id").to_pylist() == want
    for name in ("jsonl", "api", "warehouse"):
        assert pulled[name].equals(pulled["parquet"]), name


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["ts"] = row["ts"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return out


@pytest.mark.integration
def test_clickhouse_pushes_filters_down_and_quotes_values(
    tmp_path: Path, clock: FixedClock, world_records: list[dict[str, Any]], clickhouse: str
) -> None:
    evil = [
        "x' OR 1=1 --",
        "x\\' OR 1=1 --",
        "o'brien\\",
        "`; DROP TABLE logs.inject; --",
    ]
    records = world_records[:200] + [
        world_records[200 + i] | {"account_id": account, "request_id": f"evil-{i}"}
        for i, account in enumerate(evil)
    ]
    load_clickhouse(clickhouse, "inject", records)
    ws = Workspace(
        tmp_path / "store.db",
        parse_config({"sources": {"wh": clickhouse_source(clickhouse, "inject")}}),
        "alice",
        clock,
    )
    inc = open_incident(ws, title="t").id
    item = pull_evidence(ws, inc, "wh", accounts=["x' OR 1=1 --"], env=secrets_env())
    assert item.records == 1 and item.out_of_scope == 0  # filtered by the server, not by us
    assert evidence_rows(ws, item).column("request_id").to_pylist() == ["evil-0"]
    for i, account in enumerate(evil):
        got = pull_evidence(ws, inc, "wh", accounts=[account], env=secrets_env())
        assert evidence_rows(ws, got).column("account_id").to_pylist() == [account], account
        assert got.request["sql"].count(quote(account)) == 1
        assert f"evil-{i}" in evidence_rows(ws, got).column("request_id").to_pylist()
    assert ch_query(clickhouse, "SELECT count() FROM logs.inject").strip() == "204"
    # Control characters never reach a query as account ids; quote() still escapes them.
    from ircli.errors import ValidationError

    with pytest.raises(ValidationError, match="invalid account id"):
        pull_evidence(ws, inc, "wh", accounts=["a\nb"], env=secrets_env())
    for text in ["a\nb\tc\0d\r", "\\'\\\\'", "é😀"]:
        out = ch_query(clickhouse, f"SELECT {quote(text)} AS v FORMAT JSONEachRow")
        assert json.loads(out)["v"] == text
    # A window pushed down as epoch µs.
    lo, hi = "2026-03-01T01:00:00Z", "2026-03-01T02:00:00Z"
    got = pull_evidence(ws, inc, "wh", since=lo, until=hi, env=secrets_env())
    want = sorted(r["request_id"] for r in records if lo <= r["ts"] < hi)
    assert got.out_of_scope == 0 and len(want) > 50
    assert sorted(evidence_rows(ws, got).column("request_id").to_pylist()) == want


@pytest.mark.integration
def test_clickhouse_errors_are_clear(
    tmp_path: Path, clock: FixedClock, clickhouse: str, world_records: list[dict[str, Any]]
) -> None:
    from ircli.errors import ConfigError, ExternalServiceError

    load_clickhouse(clickhouse, "errs", world_records[:10])
    sources = {
        "wrongpw": clickhouse_source(clickhouse, "errs", password_secret="logs"),
        "notable": clickhouse_source(clickhouse, "nope"),
        "badname": clickhouse_source(clickhouse, "x; DROP"),
    }
    ws = Workspace(tmp_path / "store.db", parse_config({"sources": sources}), "alice", clock)
    inc = open_incident(ws, title="t").id
    with pytest.raises(ExternalServiceError, match="refused the credentials"):
        pull_evidence(ws, inc, "wrongpw", env=secrets_env())
    with pytest.raises(ExternalServiceError, match="refused the query: Code: 60"):
        pull_evidence(ws, inc, "notable", env=secrets_env())
    with pytest.raises(ConfigError, match="not a plain ClickHouse name"):
        pull_evidence(ws, inc, "badname", env=secrets_env())
