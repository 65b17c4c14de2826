"""The world is in the canonical schema, and the labels live apart from the evidence."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ircli.evidence.schema import arrow_schema, required_fields


@pytest.mark.parametrize("table", ["requests", "accounts", "releases"])
def test_files_have_the_canonical_arrow_schema(tiny: Path, table: str) -> None:
    schema = pq.read_schema(tiny / f"{table}.parquet")
    assert schema.equals(arrow_schema(table), check_metadata=True)


@pytest.mark.parametrize("table", ["requests", "accounts", "releases"])
def test_required_fields_are_never_null(con, table: str) -> None:  # type: ignore[no-untyped-def]
    for field in required_fields(table):
        nulls = con.execute(f"SELECT count(*) FROM {table} WHERE {field} IS NULL").fetchone()[0]
        assert nulls == 0, field


def test_labels_are_separate_and_complete(con, tiny: Path) -> None:  # type: ignore[no-untyped-def]
    label_cols = {"archetype", "campaign_id", "is_attack", "expected_verdict"}
    for table in ("requests", "accounts", "releases"):
        names = set(pq.read_schema(tiny / f"{table}.parquet").names)
        assert not names & label_cols, table
    accounts = {r[0] for r in con.execute("SELECT account_id FROM accounts").fetchall()}
    labels = con.execute(
        "SELECT account_id, is_attack, expected_verdict, campaign_id FROM labels"
    ).fetchall()
    assert {r[0] for r in labels} == accounts and len(labels) == len(accounts)
    for _, is_attack, verdict, campaign in labels:
        assert verdict == ("alert" if is_attack else verdict)
        assert verdict in ("alert", "policy", "clear")
        assert (campaign is not None) == is_attack


def test_every_request_belongs_to_a_known_account(con) -> None:  # type: ignore[no-untyped-def]
    orphans = con.execute(
        "SELECT count(*) FROM requests r ANTI JOIN accounts a USING (account_id)"
    ).fetchone()[0]
    assert orphans == 0
    mismatched_org = con.execute(
        "SELECT count(*) FROM requests r JOIN accounts a USING (account_id) WHERE r.org_id <> a.org_id"
    ).fetchone()[0]
    assert mismatched_org == 0


def test_request_ids_unique_and_time_ordered(con, tiny: Path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    n, distinct = con.execute(
        "SELECT count(*), count(DISTINCT request_id) FROM requests"
    ).fetchone()
    assert n == distinct and 2_000 <= n <= 80_000
    ts = pq.read_table(tiny / "requests.parquet", columns=["ts"]).column("ts")
    values = ts.cast("int64").to_numpy()
    assert (np.diff(values) >= 0).all()


def test_prompt_hash_is_sha256_of_text_and_present_without_text(con) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    rows = con.execute(
        "SELECT prompt_text, prompt_hash FROM requests WHERE prompt_text IS NOT NULL USING SAMPLE 2000 ROWS"
    ).fetchall()
    assert all(hashlib.sha256(t.encode()).hexdigest() == h for t, h in rows)
    hidden, hashed = con.execute(
        "SELECT count(*), count(prompt_hash) FROM requests WHERE prompt_text IS NULL"
    ).fetchone()
    assert hidden > 100 and hashed == hidden  # privacy: text withheld, hash kept


def test_releases_include_one_inside_the_window(con) -> None:  # type: ignore[no-untyped-def]
    lo, hi = con.execute("SELECT min(ts), max(ts) FROM requests").fetchone()
    inside = con.execute(
        "SELECT count(*) FROM releases WHERE released_at > ? AND released_at < ?", [lo, hi]
    ).fetchone()[0]
    assert inside >= 1


def test_no_request_before_its_account_exists(con) -> None:  # type: ignore[no-untyped-def]
    early = con.execute(
        "SELECT count(*) FROM requests r JOIN accounts a USING (account_id) WHERE r.ts < a.created_at"
    ).fetchone()[0]
    assert early == 0


def test_accounts_born_mid_window_start_after_birth(tmp_path: Path) -> None:
    import duckdb

    from ircli.services.world import generate_world

    out = tmp_path / "w"
    generate_world("tiny", 11, out, scale=0.2, accounts={"ratelimit_evasion": 40}, days=4)
    early = duckdb.sql(
        f"SELECT count(*) FROM '{out}/requests.parquet' r JOIN '{out}/accounts.parquet' a "
        "USING (account_id) WHERE r.ts < a.created_at"
    ).fetchall()[0][0]
    assert early == 0
