"""The measurements computed the fast way agree with their definitions computed the plain way.

The analysis reads pre-aggregated tables (each account's distinct prompts, its main source
addresses, the first use of each prompt) and uses epoch arithmetic for UTC days and hours.
Each test here recomputes one measurement straight from the requests, as its definition
reads, and requires the same numbers: speed must never change a verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from world import MiniWorld


@pytest.fixture(scope="module")
def con(world: MiniWorld) -> Iterator[Any]:
    """A connection holding every feature table of the test world, its tokens and clusters."""
    from ircli.analysis import coordination, features, linking, tables

    c = tables.connect()
    req, acc, rel = world.tables()
    tables.register(c, "requests", req)
    tables.register(c, "accounts", acc)
    if rel is not None:
        tables.register(c, "releases", rel)
    features.build(c, text=True, releases=rel is not None)
    linking.build_tokens(c)
    linking.link(c)
    linking.components(c)
    linking.communities(c)
    coordination.build(c)
    # The plain form: every request, the prompt fingerprint recomputed per row.
    c.execute(
        "CREATE TEMP VIEW plain AS SELECT *, epoch(ts) AS t, "
        "hash(coalesce(prompt_hash, prompt_text)) AS ph FROM requests"
    )
    yield c
    c.close()


def _same(con: Any, fast: str, plain: str) -> int:
    """Rows of ``fast`` and ``plain`` (same columns, key first) match; returns the count.

    Floating-point sums may differ in the last bit with the order rows are added in.
    """
    a = sorted(con.execute(fast).fetchall(), key=lambda r: repr(r[:1]))
    b = sorted(con.execute(plain).fetchall(), key=lambda r: repr(r[:1]))
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x == pytest.approx(y, rel=1e-12, abs=1e-12)
    return len(a)


def test_prompt_breadth_and_calendar_counts_match_their_definitions(con: Any) -> None:
    n = _same(
        con,
        "SELECT account_id::VARCHAR, n_prompts, n_days, n_hours_of_day FROM features",
        """
        SELECT account_id, count(DISTINCT ph), count(DISTINCT date_trunc('day', ts)),
               count(DISTINCT hour(ts))
        FROM plain GROUP BY account_id
        """,
    )
    assert n > 10


def test_access_mix_counts_match_their_definitions(con: Any) -> None:
    # Countries, user agents and system prompts counted exactly from the small per-account
    # groupings, and the share outside the billing country without a join per request.
    n = _same(
        con,
        "SELECT account_id::VARCHAR, n_countries, n_ua, n_sys, geo_mismatch FROM features",
        """
        SELECT r.account_id, count(DISTINCT r.country), count(DISTINCT r.user_agent),
               count(DISTINCT r.system_prompt_hash),
               avg(CASE WHEN r.country IS NOT NULL AND a.billing_country IS NOT NULL
                         AND r.country <> a.billing_country THEN 1.0 ELSE 0.0 END)
        FROM plain r LEFT JOIN acct a ON a.account_id = r.account_id GROUP BY r.account_id
        """,
    )
    assert n > 10
    varied = con.execute(
        "SELECT max(n_ua), max(n_sys), max(n_countries), max(geo_mismatch) FROM features"
    ).fetchall()[0]
    assert varied[0] > 1 and varied[1] > 1 and varied[2] > 1 and varied[3] > 0


def test_shared_prompt_share_matches_its_definition(con: Any) -> None:
    _same(
        con,
        "SELECT account_id::VARCHAR, shared_prompt_share FROM f_overlap",
        """
        WITH senders AS (
            SELECT ph, count(DISTINCT account_id) AS k FROM plain WHERE ph IS NOT NULL GROUP BY ph
        )
        SELECT r.account_id, avg(CASE WHEN s.k > 1 THEN 1.0 ELSE 0.0 END)
        FROM plain r JOIN senders s USING (ph) GROUP BY r.account_id
        """,
    )
    shared = con.execute("SELECT max(shared_prompt_share) FROM f_overlap").fetchall()[0][0]
    assert shared > 0  # the world has accounts asking the same things


def test_duplicate_prompts_within_clusters_match_their_definition(con: Any) -> None:
    # Counted from the prompts two accounts share, against the members' distinct prompts.
    n = _same(
        con,
        "SELECT root, dup_share FROM f_shard",
        """
        WITH pp AS (
            SELECT c.root, r.ph, count(DISTINCT r.account_id) AS senders
            FROM plain r JOIN clusters c ON c.account_id = r.account_id
            WHERE r.ph IS NOT NULL GROUP BY ALL
        ), dup AS (
            SELECT root, avg(CASE WHEN senders > 1 THEN 1.0 ELSE 0.0 END) AS d FROM pp GROUP BY root
        )
        SELECT c.root, coalesce(any_value(dup.d), 0.0)
        FROM clusters c LEFT JOIN dup USING (root) GROUP BY c.root
        """,
    )
    assert n >= 2
    shares = [r[0] for r in con.execute("SELECT dup_share FROM f_shard").fetchall()]
    assert min(shares) == 0 < max(shares)  # both kinds of cluster are there


def test_release_replay_matches_its_definition(con: Any) -> None:
    n = _same(
        con,
        "SELECT account_id::VARCHAR, n_new, pivot_delay_h, replay_new, repeat_old, "
        "n_since FROM f_life",
        """
        WITH x AS (
            SELECT r.account_id, r.ph, r.ts, rel.released_at,
                   rel.model IS NOT NULL AND r.ts >= rel.released_at AS is_new
            FROM plain r LEFT JOIN rel ON r.model = rel.model
        ), y AS (
            SELECT x.*, min(x.ts) OVER (PARTITION BY x.account_id, x.ph) AS first_seen,
                   min(CASE WHEN x.is_new THEN x.released_at END)
                       OVER (PARTITION BY x.account_id) AS moved_at
            FROM x WHERE x.account_id IN (SELECT account_id FROM x WHERE is_new)
        )
        SELECT account_id, count(*) FILTER (WHERE is_new),
               min(epoch(ts) - epoch(released_at)) FILTER (WHERE is_new) / 3600.0,
               avg(CASE WHEN first_seen < released_at THEN 1.0 ELSE 0.0 END) FILTER (WHERE is_new),
               coalesce(avg(CASE WHEN ts > first_seen THEN 1.0 ELSE 0.0 END)
                   FILTER (WHERE NOT is_new), 0.0),
               count(*) FILTER (WHERE ts >= moved_at)
        FROM y GROUP BY account_id
        """,
    )
    assert n > 0  # the world has accounts moving to a new model


def test_rate_profile_matches_its_definition(con: Any) -> None:
    n = _same(
        con,
        "SELECT account_id::VARCHAR, peak_minute, p90_minute, peak_day, mean_day, day_cv FROM f_rate",
        """
        WITH m AS (SELECT account_id, floor(t / 60) AS minute, count(*) AS c FROM plain GROUP BY ALL),
        d AS (SELECT account_id, floor(t / 86400) AS day, count(*) AS c FROM plain GROUP BY ALL),
        dm AS (
            SELECT account_id, max(c) AS peak_day, avg(c) AS mean_day,
                   stddev_pop(c) / greatest(avg(c), 1) AS day_cv
            FROM d GROUP BY account_id
        )
        SELECT m.account_id, max(m.c), quantile_cont(m.c, 0.9), any_value(dm.peak_day),
               any_value(dm.mean_day), any_value(dm.day_cv)
        FROM m JOIN dm USING (account_id) GROUP BY m.account_id
        """,
    )
    assert n > 10


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 3 * 3600), st.integers(0, 3)),
        min_size=1,
        max_size=120,
    )
)
def test_requests_per_minute_match_quantile_cont_on_any_traffic(
    rows: list[tuple[str, int, int]],
) -> None:
    # Bursts of up to 4 requests in one second, spread over three hours: busy minutes,
    # quiet ones, accounts with one request, and percentiles between two counts.
    from ircli.analysis import features, tables

    c = tables.connect(threads=1)
    try:
        times = [(a, t) for a, t, k in rows for _ in range(k + 1)]
        c.execute("CREATE TYPE acct_key AS ENUM ('a', 'b', 'c')")
        c.execute(
            "CREATE TEMP TABLE rq_lean AS SELECT unnest(?::VARCHAR[])::acct_key AS account_id, "
            "to_timestamp(unnest(?::BIGINT[]) + 1700000000) AS ts",
            [[a for a, _ in times], [t for _, t in times]],
        )
        c.execute("CREATE TEMP VIEW rq AS SELECT account_id, ts, epoch(ts) AS t FROM rq_lean")
        features.timing(c)
        _same(
            c,
            "SELECT account_id::VARCHAR, peak_minute, p90_minute, n_days FROM f_rate",
            """
            WITH m AS (
                SELECT account_id::VARCHAR AS account_id, floor(t / 60) AS minute, count(*) AS c
                FROM rq GROUP BY ALL
            )
            SELECT account_id, max(c), quantile_cont(c, 0.9), count(DISTINCT floor(minute / 1440))
            FROM m GROUP BY account_id
            """,
        )
        _same(
            c,
            "SELECT account_id::VARCHAR, gap_mean, gap_sd FROM f_timing",
            """
            WITH g AS (
                SELECT account_id::VARCHAR AS account_id,
                       t - lag(t) OVER (PARTITION BY account_id ORDER BY t) AS gap
                FROM rq
            )
            SELECT account_id, avg(gap), stddev_pop(gap) FROM g WHERE gap IS NOT NULL
            GROUP BY account_id
            """,
        )
    finally:
        c.close()


def test_source_ip_tokens_match_their_definition(con: Any) -> None:
    n = _same(
        con,
        "SELECT account_id || ' ' || tok FROM tokens WHERE kind = 'src_ip'",
        """
        WITH raw AS (
            SELECT account_id, src_ip AS tok FROM (
                SELECT account_id, src_ip, count(*) AS c,
                       sum(count(*)) OVER (PARTITION BY account_id) AS tot
                FROM plain WHERE src_ip IS NOT NULL GROUP BY account_id, src_ip
            ) WHERE c >= 0.3 * tot
        ), deg AS (SELECT tok, count(DISTINCT account_id) AS deg FROM raw GROUP BY tok)
        SELECT DISTINCT raw.account_id || ' ' || raw.tok FROM raw JOIN deg USING (tok) WHERE deg >= 2
        """,
    )
    assert n > 0  # the world has accounts sharing a source address


def _fleet_world() -> MiniWorld:
    """Tenants spread over one small set of servers, a customer on servers of its own, and
    one behind a proxy pool: fleets shared, fleets not shared, and no fleet at all."""
    from archetypes import _spread

    w = MiniWorld(seed=3)
    servers = [f"10.77.0.{i}" for i in range(1, 6)]
    for name, pool, kind in [
        ("tenant-0", servers, "hosting"),
        ("tenant-1", servers[1:], "hosting"),
        ("tenant-2", servers, "hosting"),
        ("own", ["10.80.0.1", "10.80.0.2"], "hosting"),
        ("proxied", [f"100.64.0.{i}" for i in range(1, 40)], "resproxy"),
    ]:
        w.account(name, "background")
        for j, ts in enumerate(_spread(w, 80)):
            w.request(name, ts, f"Task {name} {j}", src_ip=pool[j % len(pool)], asn_type=kind)
    return w


def test_fleet_tokens_match_their_definition() -> None:
    from ircli.analysis import features, linking, tables

    con = tables.connect()
    req, acc, _ = _fleet_world().tables()
    tables.register(con, "requests", req)
    tables.register(con, "accounts", acc)
    features.build(con, text=True, releases=False)
    linking.build_tokens(con)
    con.execute("CREATE TEMP VIEW plain AS SELECT * FROM requests")
    n = _same(
        con,
        "SELECT account_id || ' ' || tok FROM tokens WHERE kind = 'fleet'",
        """
        WITH raw AS (
            SELECT account_id, string_agg(src_ip, ',' ORDER BY src_ip) AS tok FROM (
                SELECT account_id, src_ip, count(*) AS c,
                       sum(count(*)) OVER (PARTITION BY account_id) AS tot,
                       count(*) OVER (PARTITION BY account_id) AS k
                FROM plain WHERE src_ip IS NOT NULL AND asn_type = 'hosting'
                GROUP BY account_id, src_ip
            ) WHERE c >= 0.02 * tot AND k BETWEEN 2 AND 16
            GROUP BY account_id HAVING count(*) >= 2
        ), deg AS (SELECT tok, count(DISTINCT account_id) AS deg FROM raw GROUP BY tok)
        SELECT DISTINCT raw.account_id || ' ' || raw.tok FROM raw JOIN deg USING (tok) WHERE deg >= 2
        """,
    )
    assert n == 2  # tenants 0 and 2 send from the same five servers; no one else does
    con.close()


def test_signup_on_a_shared_network_matches_its_definition(con: Any) -> None:
    n = _same(
        con,
        "SELECT account_id, signup_ip_shared_net FROM f_ident",
        """
        SELECT a.account_id, a.signup_ip IN (
            SELECT src_ip FROM plain WHERE asn_type IN ('edu', 'mobile', 'business')
        ) FROM acct a
        """,
    )
    assert n > 10
    shared = con.execute("SELECT count(*) FROM f_ident WHERE signup_ip_shared_net").fetchall()
    assert shared[0][0] > 0  # the world has sign-ups from campus and mobile networks


def test_spills_go_to_a_private_temp_folder_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ircli.analysis import tables

    monkeypatch.chdir(tmp_path)
    con = tables.connect("40MB", threads=1)
    spill = con.execute("SELECT current_setting('temp_directory')").fetchone()
    assert spill is not None and spill[0] == str(tables.spill_directory())
    assert (tables.spill_directory().stat().st_mode & 0o077) == 0
    # Large enough to spill under a 40 MB limit (DuckDB's default would be ./.tmp).
    con.execute(
        "SELECT count(*) FROM (SELECT range % 7919 AS k, md5(range::VARCHAR) AS v "
        "FROM range(3000000) ORDER BY v)"
    ).fetchall()
    assert not (tmp_path / ".tmp").exists()


def test_text_share_is_read_from_the_same_rows_every_run() -> None:
    import pyarrow as pa

    from ircli.analysis import tables

    # Text on the first 100,000 rows only: any other sample of the rows sees less of it.
    n = 300_000
    texts = pa.array(["p"] * 100_000 + [None] * (n - 100_000), pa.string())
    source = pa.table({"account_id": pa.array(["a"] * n), "prompt_text": texts})
    con = tables.connect(threads=2)
    con.register("t", source)
    shares = {tables.has_values(con, "t", "prompt_text") for _ in range(8)}
    assert shares == {1.0}
    setting = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    assert setting[0][0] is False  # the analysis's own setting is back
    con.close()
