"""Every archetype is present in `tiny` and shows the behaviour it is named for."""

from __future__ import annotations

import ipaddress

from ircli.world.archetypes import ARCHETYPES

ONE_DAY_US = 86_400_000_000


def _accounts(con, archetype: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [r[0] for r in con.execute(
        "SELECT account_id FROM labels WHERE archetype = ?", [archetype]).fetchall()]  # fmt: skip


def _scalar(con, sql: str, params: list[object] | None = None):  # type: ignore[no-untyped-def]
    return con.execute(sql, params or []).fetchone()[0]


def test_every_archetype_has_accounts_and_traffic(con) -> None:  # type: ignore[no-untyped-def]
    rows = dict(con.execute(
        "SELECT l.archetype, count(*) FROM requests r JOIN labels l USING (account_id) GROUP BY 1"
    ).fetchall())  # fmt: skip
    assert set(rows) == set(ARCHETYPES)
    assert all(n >= 100 for n in rows.values()), rows


def test_verdicts_follow_the_archetype(con) -> None:  # type: ignore[no-untyped-def]
    for name, spec in ARCHETYPES.items():
        verdicts = {r[0] for r in con.execute(
            "SELECT DISTINCT expected_verdict FROM labels WHERE archetype = ?", [name]).fetchall()}  # fmt: skip
        assert verdicts == {spec.verdict}, name
    assert ARCHETYPES["ratelimit_evasion"].verdict == "policy"
    assert not ARCHETYPES["ratelimit_evasion"].is_attack


def test_hydra_shares_payment_fingerprints_across_orgs(con) -> None:  # type: ignore[no-untyped-def]
    shared = _scalar(
        con,
        """
        SELECT count(*) FROM (
            SELECT payment_fingerprint FROM accounts a JOIN labels l USING (account_id)
            WHERE l.archetype = 'hydra_cot' AND payment_fingerprint IS NOT NULL
            GROUP BY 1 HAVING count(DISTINCT org_id) >= 3)""",
    )
    assert shared >= 2
    # ... from fresh trial-heavy accounts behind residential proxies, asking for reasoning.
    resproxy = _scalar(
        con,
        """
        SELECT avg((asn_type = 'resproxy')::INT) FROM requests r JOIN labels l USING (account_id)
        WHERE l.archetype = 'hydra_cot'""",
    )
    assert resproxy > 0.6
    cot = _scalar(
        con,
        """
        SELECT avg((prompt_text ILIKE '%reasoning%' OR prompt_text ILIKE '%step%')::INT)
        FROM requests r JOIN labels l USING (account_id)
        WHERE l.archetype = 'hydra_cot' AND prompt_text IS NOT NULL""",
    )
    assert cot > 0.5
    finished = _scalar(
        con,
        """
        SELECT count(*) FROM requests r JOIN labels l USING (account_id)
        WHERE l.archetype = 'hydra_cot' AND prompt_text LIKE 'Here is the finished answer:%'""",
    )
    assert finished > 0


def test_pivot_accounts_switch_model_within_a_day_and_replay(con) -> None:  # type: ignore[no-untyped-def]
    release = _scalar(con, "SELECT released_at FROM releases WHERE model = 'orion-3'")
    for account in _accounts(con, "agentic_pivot"):
        first_new = _scalar(con, """
            SELECT min(ts) FROM requests WHERE account_id = ? AND model LIKE 'orion-3%'""",
            [account])  # fmt: skip
        assert first_new is not None and first_new >= release
        assert (first_new - release).total_seconds() < 24 * 3600, account
    replayed = _scalar(
        con,
        """
        WITH r AS (SELECT * FROM requests JOIN labels USING (account_id)
                   WHERE archetype = 'agentic_pivot')
        SELECT count(*) FROM r AS new JOIN r AS old
          ON new.account_id = old.account_id AND new.prompt_hash = old.prompt_hash
        WHERE new.model LIKE 'orion-3%' AND old.model LIKE 'orion-2%' AND old.ts < new.ts""",
    )
    assert replayed > 20


def test_eval_lab_pivots_too_but_is_verified(con) -> None:  # type: ignore[no-untyped-def]
    release = _scalar(con, "SELECT released_at FROM releases WHERE model = 'orion-3'")
    late = _scalar(
        con,
        """
        SELECT max(first_new) FROM (
          SELECT min(ts) AS first_new FROM requests JOIN labels USING (account_id)
          WHERE archetype = 'eval_lab' AND model LIKE 'orion-3%' GROUP BY account_id)""",
    )
    assert (late - release).total_seconds() < 24 * 3600
    flags = con.execute("""SELECT kyb_verified, contract_flags FROM accounts
        JOIN labels USING (account_id) WHERE archetype = 'eval_lab'""").fetchall()  # fmt: skip
    assert all(kyb and "eval_partner" in f for kyb, f in flags)
    templates = _scalar(
        con,
        """
        SELECT avg((prompt_text LIKE 'The following are multiple choice questions%' OR
                    prompt_text LIKE 'Question:%' OR prompt_text LIKE 'Q:%' OR
                    prompt_text LIKE 'Answer the following question%' OR
                    prompt_text LIKE 'Read the question%')::INT)
        FROM requests JOIN labels USING (account_id)
        WHERE archetype = 'eval_lab' AND prompt_text IS NOT NULL""",
    )
    assert templates > 0.6


def test_sharded_slow_walks_disjoint_shards_at_a_low_rate(con, tiny) -> None:  # type: ignore[no-untyped-def]
    import json

    days = json.loads((tiny / "world.json").read_text())["days"]
    overlap = _scalar(
        con,
        """
        SELECT count(*) FROM (
          SELECT prompt_hash FROM requests JOIN labels USING (account_id)
          WHERE archetype = 'sharded_slow' AND prompt_text LIKE '%Lesson%' OR
                archetype = 'sharded_slow' AND prompt_text LIKE '%study guide%'
          GROUP BY 1 HAVING count(DISTINCT account_id) > 1)""",
    )
    assert overlap == 0
    per_day = _scalar(
        con,
        """
        SELECT median(n) FROM (SELECT count(*) / ? AS n FROM requests
          JOIN labels USING (account_id) WHERE archetype = 'sharded_slow' GROUP BY account_id)""",
        [days],
    )
    assert per_day < 15
    aged = _scalar(
        con,
        """
        SELECT min(date_diff('day', created_at, TIMESTAMPTZ '2026-03-02 00:00:00+00'))
        FROM accounts JOIN labels USING (account_id) WHERE archetype = 'sharded_slow'""",
    )
    assert aged >= 180


def test_rubric_farming_asks_for_judgements(con) -> None:  # type: ignore[no-untyped-def]
    judged = _scalar(
        con,
        """
        SELECT avg(regexp_matches(prompt_text, '(?i)judge|grade|rate how well|rank the following|compare response')::INT)
        FROM requests JOIN labels USING (account_id)
        WHERE archetype = 'rubric_farming' AND prompt_text IS NOT NULL""",
    )
    assert judged > 0.8


def test_multilingual_coercion_spans_several_languages(con) -> None:  # type: ignore[no-untyped-def]
    markers = {"zh": "中文", "de": "Deutsch", "es": "español", "fr": "français", "ru": "по-русски",
               "ja": "日本語", "ko": "한국어", "pt": "português"}  # fmt: skip
    seen = {
        lang for lang, m in markers.items()
        if _scalar(con, """SELECT count(*) FROM requests JOIN labels USING (account_id)
                   WHERE archetype = 'multilingual_coercion' AND contains(prompt_text, ?)""", [m])
    }  # fmt: skip
    assert len(seen) >= 5, seen


def test_relay_sends_no_end_user_ids_but_reseller_does(con) -> None:  # type: ignore[no-untyped-def]
    def share(archetype: str) -> float:
        return float(_scalar(con, """SELECT avg((end_user_id IS NOT NULL)::INT) FROM requests
            JOIN labels USING (account_id) WHERE archetype = ?""", [archetype]))  # fmt: skip

    assert share("relay_laundering") == 0.0
    assert share("reseller") > 0.9
    kinds = _scalar(
        con,
        """
        SELECT count(DISTINCT left(prompt_text, 12)) FROM requests JOIN labels USING (account_id)
        WHERE archetype = 'relay_laundering'""",
    )
    assert kinds > 20  # heterogeneous traffic
    flags = con.execute("""SELECT DISTINCT kyb_verified, contract_flags FROM accounts
        JOIN labels USING (account_id) WHERE archetype = 'reseller'""").fetchall()  # fmt: skip
    assert flags == [(True, ["reseller"])]


def test_synthetic_contract_looks_like_harvesting_but_is_contracted(con) -> None:  # type: ignore[no-untyped-def]
    def templates(archetype: str) -> set[str]:
        return {r[0] for r in con.execute("""
            SELECT DISTINCT left(prompt_text, 40) FROM requests JOIN labels USING (account_id)
            WHERE archetype = ? AND prompt_text IS NOT NULL""", [archetype]).fetchall()}  # fmt: skip

    assert len(templates("synthetic_contract") & templates("hydra_cot")) >= 5
    flags = con.execute("""SELECT DISTINCT kyb_verified, contract_flags FROM accounts
        JOIN labels USING (account_id) WHERE archetype = 'synthetic_contract'""").fetchall()  # fmt: skip
    assert flags == [(True, ["synthetic_data_ok"])]


def test_campus_accounts_share_an_edu_address(con) -> None:  # type: ignore[no-untyped-def]
    top = con.execute("""
        SELECT src_ip, any_value(asn_type), count(DISTINCT account_id) AS n
        FROM requests JOIN labels USING (account_id) WHERE archetype = 'campus_nat'
        GROUP BY 1 ORDER BY n DESC LIMIT 1""").fetchone()  # fmt: skip
    assert top[1] == "edu" and top[2] >= 10


def test_oss_agent_users_share_one_system_prompt(con) -> None:  # type: ignore[no-untyped-def]
    n_accounts, n_prompts = con.execute("""
        SELECT count(DISTINCT account_id), count(DISTINCT system_prompt_hash)
        FROM requests JOIN labels USING (account_id) WHERE archetype = 'oss_agent'""").fetchone()  # fmt: skip
    assert n_accounts >= 20 and n_prompts == 1
    orgs = _scalar(con, """SELECT count(DISTINCT org_id) FROM accounts JOIN labels USING (account_id)
        WHERE archetype = 'oss_agent'""")  # fmt: skip
    assert orgs == n_accounts  # unrelated developers, not one organisation


def test_enterprise_etl_is_nightly_batch_and_verified(con) -> None:  # type: ignore[no-untyped-def]
    batch = _scalar(con, """SELECT avg((endpoint = 'batch')::INT) FROM requests
        JOIN labels USING (account_id) WHERE archetype = 'enterprise_etl'""")  # fmt: skip
    assert batch > 0.7
    assert _scalar(con, """SELECT bool_and(kyb_verified) FROM accounts JOIN labels USING (account_id)
        WHERE archetype = 'enterprise_etl'""")  # fmt: skip


def test_ratelimit_evasion_hits_limits_from_one_payer(con) -> None:  # type: ignore[no-untyped-def]
    limited = _scalar(con, """SELECT avg((status = 429)::INT) FROM requests
        JOIN labels USING (account_id) WHERE archetype = 'ratelimit_evasion'""")  # fmt: skip
    assert limited > 0.05
    payers, orgs = con.execute("""SELECT count(DISTINCT payment_fingerprint), count(DISTINCT org_id)
        FROM accounts JOIN labels USING (account_id) WHERE archetype = 'ratelimit_evasion'""").fetchone()  # fmt: skip
    assert payers == 1 and orgs >= 2


def test_only_reserved_addresses_asns_and_domains(con) -> None:  # type: ignore[no-untyped-def]
    nets = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "100.64.0.0/10", "2001:db8::/32")]
    ips = {r[0] for r in con.execute(
        "SELECT DISTINCT src_ip FROM requests UNION SELECT DISTINCT signup_ip FROM accounts").fetchall()}  # fmt: skip
    assert len(ips) > 100
    for ip in ips:
        addr = ipaddress.ip_address(ip)
        assert any(addr in net for net in nets if net.version == addr.version), ip
    for (asn,) in con.execute("SELECT DISTINCT asn FROM requests").fetchall():
        assert 64512 <= asn <= 65534 or 4200000000 <= asn <= 4294967294, asn
    for (domain,) in con.execute("SELECT DISTINCT email_domain FROM accounts").fetchall():
        assert domain.endswith(".example"), domain


def test_ids_do_not_encode_labels(con) -> None:  # type: ignore[no-untyped-def]
    import re

    pattern = re.compile(r"^acct_[0-9a-z]{16}$")
    rows = con.execute("SELECT account_id, archetype FROM labels").fetchall()
    assert all(pattern.match(a) for a, _ in rows)
    for name in ARCHETYPES:
        for col in ("account_id", "org_id", "user_agent", "email_domain"):
            table = "accounts" if col == "email_domain" else "requests"
            hits = _scalar(con, f"SELECT count(*) FROM {table} WHERE {col} ILIKE ?", [f"%{name}%"])
            assert hits == 0, (name, col)


def test_hydra_accounts_fire_in_synchronised_waves(con) -> None:  # type: ignore[no-untyped-def]
    def slots_used(archetype: str) -> float:
        # Share of the 10-minute slots of its active days in which the archetype sent anything.
        return float(
            _scalar(
                con,
                """
                WITH r AS (SELECT date_trunc('day', ts) AS d,
                                  floor(epoch(ts) % 86400 / 600) AS slot
                           FROM requests JOIN labels USING (account_id) WHERE archetype = ?)
                SELECT count(DISTINCT (d, slot)) / (144.0 * count(DISTINCT d)) FROM r""",
                [archetype],
            )
        )

    assert slots_used("hydra_cot") < 0.35
    assert slots_used("synthetic_contract") > 0.8  # a pipeline running around the clock
