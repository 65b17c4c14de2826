"""Pulling from files: formats, filters, quarantine of every kind of bad line, custody."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from evidence_world import write_config

from ircli.config import parse_config
from ircli.core.clock import FixedClock
from ircli.errors import ConfigError, NotFoundError, RefusedError
from ircli.evidence.schema import arrow_schema
from ircli.services.evidence import (
    evidence_rows,
    get_evidence,
    list_evidence,
    pull_evidence,
    quarantined_records,
    verify_evidence,
)
from ircli.services.incidents import close_incident, open_incident
from ircli.services.workspace import Workspace


def make_ws(tmp_path: Path, clock: FixedClock, sources: dict[str, Any]) -> Workspace:
    config = parse_config({"sources": sources})
    return Workspace(tmp_path / "store.db", config, "alice", clock, tmp_path / "ircli.toml")


def ids(table: pa.Table) -> list[str]:
    return sorted(table.column("request_id").to_pylist())


def test_pull_jsonl_records_and_custody(
    tmp_path: Path, clock: FixedClock, world_file: Path
) -> None:
    ws = make_ws(tmp_path, clock, {"export": {"type": "file", "path": "requests.jsonl"}})
    inc = open_incident(ws, title="t")
    item = pull_evidence(ws, inc.id, "export")
    assert (item.records, item.quarantined, item.out_of_scope) == (3000, 0, 0)
    rows = evidence_rows(ws, item)
    assert rows.schema.equals(arrow_schema("requests"), check_metadata=False)
    assert rows.num_rows == 3000
    # The raw archive holds the file's bytes exactly, framed page by page.
    raw = (ws.store.files_dir / item.files["raw"]["path"]).read_bytes()
    assert world_file.read_bytes()[:200] in raw
    events = [e.type for e in ws.store.events(inc.id)]
    assert events[-1] == "evidence.added" and "evidence.pull_started" in events
    added = next(iter(ws.store.events(inc.id, types=["evidence.added"]))).payload
    assert added["parquet_sha256"] == item.files["parquet"]["sha256"]
    assert added["raw_sha256"] == item.files["raw"]["sha256"]
    assert added["query"] == {"table": "requests", "accounts": [], "since": None, "until": None}
    # Files are content-addressed and read-only.
    path = ws.store.files_dir / item.files["parquet"]["path"]
    assert path.name.startswith(item.files["parquet"]["sha256"])
    assert path.stat().st_mode & 0o222 == 0
    assert not (ws.store.files_dir / "pulls" / item.id).exists()
    # The same records pulled again land on the same files, which are left untouched.
    before = path.stat()
    again = pull_evidence(ws, inc.id, "export")
    assert again.id != item.id and again.files == item.files
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    # Every folder holding evidence is owner-only.
    for folder in [ws.store.files_dir, *ws.store.files_dir.rglob("*")]:
        if folder.is_dir():
            assert folder.stat().st_mode & 0o077 == 0, folder


def test_filters_by_accounts_and_window(
    tmp_path: Path, clock: FixedClock, world_file: Path, world_records: list[dict[str, Any]]
) -> None:
    ws = make_ws(tmp_path, clock, {"export": {"type": "file", "path": str(world_file)}})
    inc = open_incident(ws, title="t", subjects=["acct-0001", "acct-0002"])
    since, until = "2026-03-01T05:00:00Z", "2026-03-01T20:00:00Z"
    item = pull_evidence(ws, inc.id, "export", from_incident=True, since=since, until=until)
    want = [
        r["request_id"]
        for r in world_records
        if r["account_id"] in ("acct-0001", "acct-0002") and since <= r["ts"] < until
    ]
    assert want and ids(evidence_rows(ws, item)) == sorted(want)
    assert item.out_of_scope == 3000 - len(want)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl.gz"])
def test_other_formats_give_the_same_rows(
    tmp_path: Path, clock: FixedClock, world_file: Path, fmt: str
) -> None:
    ws = make_ws(tmp_path, clock, {"jsonl": {"type": "file", "path": str(world_file)}})
    inc = open_incident(ws, title="t")
    reference = evidence_rows(ws, pull_evidence(ws, inc.id, "jsonl")).sort_by("request_id")
    target = tmp_path / f"export.{fmt}"
    if fmt == "parquet":
        pq.write_table(reference, target)
    elif fmt == "csv":
        import duckdb

        con = duckdb.connect()
        con.register("ref", reference)
        con.execute(
            f"COPY (SELECT * EXCLUDE (ts), strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') AS ts FROM ref) TO '{target}' (HEADER)"
        )
    else:
        target.write_bytes(gzip.compress(world_file.read_bytes()))
    ws2 = make_ws(tmp_path, clock, {"other": {"type": "file", "path": str(target)}})
    item = pull_evidence(ws2, inc.id, "other")
    assert item.quarantined == 0
    assert evidence_rows(ws2, item).sort_by("request_id").equals(reference)


BAD_KINDS = {
    "bad JSON": lambda rec: json.dumps(rec)[:-7].encode(),
    "wrong type": lambda rec: json.dumps(rec | {"output_tokens": "lots"}).encode(),
    "missing account_id": lambda rec: json.dumps(
        {k: v for k, v in rec.items() if k != "account_id"}
    ).encode(),
    "missing ts": lambda rec: json.dumps({k: v for k, v in rec.items() if k != "ts"}).encode(),
    "oversize prompt": lambda rec: json.dumps(rec | {"prompt_text": "A" * 300_000}).encode(),
    "invalid UTF-8": lambda rec: (
        json.dumps(rec, ensure_ascii=False)
        .encode()
        .replace(b'"model', b'"\xff\xfemodel', 1)
        .replace(b'"request_id": "', b'"request_id": "\xc3\x28', 1)
    ),
    "NUL byte": lambda rec: json.dumps(rec | {"user_agent": "sdk\x00evil"}).encode(),
}
REASONS = {
    "bad JSON": "bad JSON",
    "wrong type": "field output_tokens: expected an integer",
    "missing account_id": "missing required field account_id",
    "missing ts": "missing required field ts",
    "oversize prompt": "field prompt_text: 300000 characters",
    "invalid UTF-8": "invalid UTF-8",
    "NUL byte": "field user_agent: contains a NUL byte",
}


def test_one_percent_malformed_lines_of_every_kind(
    tmp_path: Path, clock: FixedClock, world_records: list[dict[str, Any]]
) -> None:
    rng = random.Random(4)
    lines: list[bytes] = []
    expected_bad: dict[str, str] = {}  # raw line → kind
    good_ids = []
    kinds = list(BAD_KINDS)
    for i, rec in enumerate(world_records * 4):
        rec = rec | {"request_id": f"{rec['request_id']}-{i}"}
        if rng.random() < 0.01 or i < len(kinds):
            kind = kinds[i % len(kinds)]
            line = BAD_KINDS[kind](rec)
            expected_bad[line.decode("utf-8", "replace")] = kind
            lines.append(line)
        else:
            lines.append(json.dumps(rec, ensure_ascii=False).encode())
            good_ids.append(rec["request_id"])
    path = tmp_path / "dirty.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    ws = make_ws(tmp_path, clock, {"dirty": {"type": "file", "path": str(path)}})
    inc = open_incident(ws, title="t")
    item = pull_evidence(ws, inc.id, "dirty")
    assert 100 < len(expected_bad) < 200  # about 1% of 12,000
    assert item.records == len(good_ids)
    assert ids(evidence_rows(ws, item)) == sorted(good_ids)
    assert item.quarantined == len(expected_bad)
    seen_kinds = set()
    for entry in quarantined_records(ws, item):
        kind = expected_bad[entry["raw_bytes"].decode("utf-8", "replace")]
        assert REASONS[kind] in entry["reason"], (kind, entry["reason"])
        seen_kinds.add(kind)
    assert seen_kinds == set(BAD_KINDS)


def test_verify_detects_a_changed_byte_and_a_missing_file(
    tmp_path: Path, clock: FixedClock, world_file: Path, ircli: Any
) -> None:
    write_config(tmp_path / "ircli.toml", {"export": {"type": "file", "path": "requests.jsonl"}})
    assert ircli("incident", "new", "--title", "t").code == 0
    pulled = ircli("evidence", "pull", "1", "--source", "export", "--json")
    assert pulled.code == 0, pulled.err
    item = json.loads(pulled.out)
    ok = ircli("evidence", "verify", "INC-0001", "--json")
    assert ok.code == 0 and json.loads(ok.out)["ok"] is True
    files = tmp_path / "store.files"
    target = files / item["files"]["quarantine"]["path"]
    target.chmod(0o600)
    target.write_bytes(b"x")
    bad = ircli("evidence", "verify", "INC-0001")
    assert bad.code == 7 and "quarantine file altered" in bad.out
    whole = ircli("verify")  # the journal's own check covers its evidence files too
    assert whole.code == 7 and "EVIDENCE" in whole.out and item["id"] in whole.out
    target.unlink()
    parquet = files / item["files"]["parquet"]["path"]
    parquet.chmod(0o600)
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 1
    parquet.write_bytes(bytes(data))
    out = json.loads(ircli("evidence", "verify", "INC-0001", "--json").out)
    problems = " ".join(out["items"][0]["problems"])
    assert "parquet file altered" in problems and "quarantine file missing" in problems


def test_cli_list_and_show(tmp_path: Path, world_file: Path, ircli: Any) -> None:
    write_config(tmp_path / "ircli.toml", {"export": {"type": "file", "path": "requests.jsonl"}})
    ircli("incident", "new", "--title", "t", "--subject", "acct-0003")
    pulled = ircli("evidence", "pull", "INC-1", "--source", "export", "--from-incident")
    assert pulled.code == 0, pulled.err
    ev = pulled.out.strip()
    listed = ircli("evidence", "list", "INC-0001")
    assert ev in listed.out and "complete" in listed.out
    shown = ircli("evidence", "show", "INC-0001", ev.lower())
    assert "parquet sha256" in shown.out and "acct-0003" in shown.out
    data = json.loads(ircli("evidence", "show", "INC-0001", ev, "--json").out)
    assert data["query"]["accounts"] == ["acct-0003"] and data["records"] > 0
    timeline = ircli("incident", "show", "INC-0001").out
    assert f"Evidence {ev} from export" in timeline


def test_errors_are_one_line_with_distinct_codes(
    tmp_path: Path, world_file: Path, ircli: Any
) -> None:
    write_config(
        tmp_path / "ircli.toml",
        {
            "export": {"type": "file", "path": "requests.jsonl"},
            "typo": {"type": "file", "path": "x.jsonl", "mapping": {"acount_id": "a"}},
            "gone": {"type": "file", "path": "missing-*.jsonl"},
            "weird": {"type": "carrier-pigeon"},
        },
    )
    ircli("incident", "new", "--title", "t")
    cases = [
        (["--source", "nope"], 5, "no source named 'nope'"),
        (["--source", "typo"], 5, "unknown canonical field(s) acount_id"),
        (["--source", "gone"], 3, "no file matches missing-*.jsonl"),
        (["--source", "weird"], 5, "type must be one of clickhouse, file, http"),
        (["--source", "export", "--since", "soon"], 4, "--since 'soon' is not a time"),
        (["--source", "export", "--from-incident"], 4, "has no subject accounts"),
    ]
    for args, code, message in cases:
        result = ircli("evidence", "pull", "INC-0001", *args)
        assert result.code == code, (args, result.err)
        assert message in result.err and "Traceback" not in result.err
        assert result.err.count("\n") <= 2
    assert ircli("evidence", "show", "INC-0001", "EV-00000000").code == 3


def test_closed_incident_refuses_and_not_found(
    tmp_path: Path, clock: FixedClock, world_file: Path
) -> None:
    ws = make_ws(tmp_path, clock, {"export": {"type": "file", "path": str(world_file)}})
    inc = open_incident(ws, title="t")
    with pytest.raises(ConfigError):
        pull_evidence(ws, inc.id, "absent")
    close_incident(ws, inc.id, summary="done")
    with pytest.raises(RefusedError):
        pull_evidence(ws, inc.id, "export")
    with pytest.raises(NotFoundError):
        get_evidence(ws, inc.id, "EV-1")


def test_cancel_checkpoints_and_rerun_resumes_without_duplicates(
    tmp_path: Path, clock: FixedClock, world_records: list[dict[str, Any]]
) -> None:
    from ircli.evidence.pull import PullCancelled

    path = tmp_path / "big.jsonl"
    with path.open("w") as handle:
        for i in range(6):
            for rec in world_records:
                handle.write(json.dumps(rec | {"request_id": f"{rec['request_id']}-{i}"}) + "\n")
    source = {"type": "file", "path": str(path), "checkpoint_records": 4000}
    ws = make_ws(tmp_path, clock, {"big": source})
    inc = open_incident(ws, title="t")
    pages = []
    with pytest.raises(PullCancelled):
        pull_evidence(
            ws, inc.id, "big", progress=lambda r, p: pages.append(p), cancel=lambda: len(pages) >= 2
        )
    [pending] = list_evidence(ws, inc.id)
    assert pending.status == "incomplete" and pending.records == 10_000
    item = pull_evidence(ws, inc.id, "big")
    assert item.id == pending.id
    table = evidence_rows(ws, item)
    assert table.num_rows == 18_000 == len(set(table.column("request_id").to_pylist()))
    assert [c.ok for c in verify_evidence(ws, inc.id)] == [True]


def test_accounts_table_and_inert_quarantine_output(
    tmp_path: Path, world_file: Path, ircli: Any
) -> None:
    accounts = [
        {
            "account_id": f"acct-{i:04d}",
            "org_id": "org-1",
            "created_at": "2026-02-01T00:00:00Z",
            "signup_path": "trial",
            "kyb_verified": i % 2 == 0,
            "contract_flags": ["reseller"] if i == 3 else [],
        }
        for i in range(10)
    ]
    lines = [json.dumps(a) for a in accounts]
    lines.append(json.dumps({"account_id": "acct-0004x", "kyb_verified": "yes"}))
    lines.append('{"account_id": "evil\x1b[2J\x1b]0;owned\x07"}')  # raw control bytes: not JSON
    (tmp_path / "accounts.jsonl").write_text("\n".join(lines) + "\n")
    write_config(
        tmp_path / "ircli.toml",
        {"acc": {"type": "file", "path": "accounts.jsonl", "table": "accounts"}},
    )
    ircli("incident", "new", "--title", "t")
    pulled = ircli("evidence", "pull", "1", "--source", "acc", "--accounts", "acct-0003,acct-0004")
    assert pulled.code == 0, pulled.err
    ev = pulled.out.strip()
    data = json.loads(ircli("evidence", "show", "1", ev, "--json").out)
    assert (data["table"], data["records"], data["quarantined"]) == ("accounts", 2, 2)
    assert data["quarantine_reasons"] == {
        "field kyb_verified: expected true/false": 1,
        "bad JSON": 1,
    }
    shown = ircli("evidence", "show", "1", ev, "--quarantine")
    assert "\x1b" not in shown.out + shown.err and "\x07" not in shown.out
    assert "␛[2J" in shown.out


def test_changed_source_settings_start_a_new_pull(
    tmp_path: Path, clock: FixedClock, world_records: list[dict[str, Any]]
) -> None:
    from ircli.evidence.pull import PullCancelled

    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in world_records * 3))
    source = {"type": "file", "path": str(path), "checkpoint_records": 3000}
    ws = make_ws(tmp_path, clock, {"src": source})
    inc = open_incident(ws, title="t")
    with pytest.raises(PullCancelled):
        pull_evidence(ws, inc.id, "src", cancel=lambda: True)
    changed = make_ws(tmp_path, clock, {"src": source | {"max_prompt_chars": 10}})
    item = pull_evidence(changed, inc.id, "src")
    statuses = {i.id: i.status for i in list_evidence(changed, inc.id)}
    assert statuses[item.id] == "complete" and list(statuses.values()).count("incomplete") == 1
    assert item.records + item.quarantined == 9000


def test_a_pull_running_elsewhere_is_refused(
    tmp_path: Path, clock: FixedClock, world_file: Path, ircli: Any
) -> None:
    import fcntl

    from ircli.evidence.pull import PullCancelled

    ws = make_ws(tmp_path, clock, {"src": {"type": "file", "path": str(world_file)}})
    inc = open_incident(ws, title="t")
    with pytest.raises(PullCancelled):
        pull_evidence(ws, inc.id, "src", cancel=lambda: True)
    [pending] = list_evidence(ws, inc.id)
    lock = (ws.store.files_dir / "pulls" / f"{pending.id}.lock").open("a")
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another process holds this pull
    try:
        with pytest.raises(RefusedError, match="is running in another process"):
            pull_evidence(ws, inc.id, "src")
    finally:
        lock.close()
    assert pull_evidence(ws, inc.id, "src").records == 3000
