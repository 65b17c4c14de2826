"""What the incident's evidence says about the accounts in scope, gathered for the report.

Only aggregates leave this module for the report builder; the raw identifiers it also
collects (``forbidden``) are the canary list the finished bundles are checked against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ircli.intel.fingerprints import template_fingerprint_sql
from ircli.intel.match import as_ts as _ts

TOP_IPS = 500
TOP_VALUES = 50
PROMPT_NEEDLE = 32


@dataclass
class Observed:
    """One observed value with how often and by how many accounts."""

    value: str
    count: int
    accounts: int
    asn: int | None = None
    asn_type: str | None = None
    first: str | None = None
    last: str | None = None


@dataclass
class Observations:
    """Aggregates over the accounts in scope."""

    accounts: list[str] = field(default_factory=list)
    requests: int = 0
    first: str | None = None
    last: str | None = None
    ips: list[Observed] = field(default_factory=list)
    asns: list[Observed] = field(default_factory=list)
    user_agents: list[Observed] = field(default_factory=list)
    payment_fingerprints: list[Observed] = field(default_factory=list)
    system_prompts: list[Observed] = field(default_factory=list)
    templates: list[Observed] = field(default_factory=list)
    forbidden: dict[str, set[str]] = field(default_factory=dict)


def observe(
    requests: Sequence[Path],
    accounts: Sequence[Path],
    scope: Sequence[str],
    clear_ip_asn_types: Sequence[str] = (),
) -> Observations:
    """Aggregate the evidence of ``scope`` (all accounts in the evidence when empty).

    IPs of ``clear_ip_asn_types`` (hosting, vpn) may be shared in the clear, so they are
    left out of the forbidden list."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        columns: dict[str, set[str]] = {}
        for table, paths in (("requests", requests), ("accounts", accounts)):
            if paths:
                files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
                con.execute(
                    f"CREATE VIEW {table} AS SELECT * FROM read_parquet([{files}], union_by_name=true)"
                )
                columns[table] = {str(r[0]) for r in con.execute(f"DESCRIBE {table}").fetchall()}
        if scope:
            con.execute(
                "CREATE TEMP TABLE scope AS SELECT DISTINCT unnest(?::VARCHAR[]) AS account_id",
                [list(scope)],
            )
        else:
            parts = [f"SELECT account_id FROM {t}" for t in columns]
            if not parts:
                return Observations()
            con.execute(f"CREATE TEMP TABLE scope AS {' UNION '.join(parts)}")
        obs = _gather(con, columns)
        clear = {o.value for o in obs.ips if o.asn_type in clear_ip_asn_types}
        obs.forbidden["ip"] = obs.forbidden.get("ip", set()) - clear
        return obs
    finally:
        con.close()


def _gather(con: Any, columns: dict[str, set[str]]) -> Observations:
    obs = Observations()
    obs.accounts = sorted(str(r[0]) for r in con.execute("SELECT account_id FROM scope").fetchall())
    forbidden: dict[str, set[str]] = {"account id": set(obs.accounts)}
    req = columns.get("requests", set())
    acc = columns.get("accounts", set())
    if req:
        scoped = "requests r JOIN scope s USING (account_id)"
        row = con.execute(f"SELECT count(*), min(ts), max(ts) FROM {scoped}").fetchone()
        obs.requests, obs.first, obs.last = int(row[0]), _ts(row[1]), _ts(row[2])
        if "src_ip" in req:
            asn = "any_value(asn)" if "asn" in req else "NULL"
            asn_type = "any_value(asn_type)" if "asn_type" in req else "NULL"
            obs.ips = [
                Observed(str(v), int(n), int(a), _int(s), t, _ts(f), _ts(la))
                for v, n, a, s, t, f, la in con.execute(
                    f"SELECT src_ip, count(*), count(DISTINCT account_id), {asn}, {asn_type}, "
                    f"min(ts), max(ts) FROM {scoped} WHERE src_ip IS NOT NULL "
                    f"GROUP BY src_ip ORDER BY 2 DESC, 1 LIMIT {TOP_IPS}"
                ).fetchall()
            ]
        if "asn" in req:
            asn_type = "any_value(asn_type)" if "asn_type" in req else "NULL"
            obs.asns = [
                Observed(str(v), int(n), int(a), int(v), t)
                for v, n, a, t in con.execute(
                    f"SELECT asn, count(*), count(DISTINCT account_id), {asn_type} FROM {scoped} "
                    f"WHERE asn IS NOT NULL GROUP BY asn ORDER BY 2 DESC, 1 LIMIT {TOP_VALUES}"
                ).fetchall()
            ]
        obs.user_agents = _top(con, scoped, "user_agent", req)
        obs.system_prompts = _top(con, scoped, "system_prompt_hash", req)
        if "prompt_text" in req:
            obs.templates = _top(
                con, scoped, template_fingerprint_sql("prompt_text"), req, "prompt_text"
            )
            forbidden["prompt"] = {
                str(p)[:PROMPT_NEEDLE]
                for (p,) in con.execute(
                    f"SELECT DISTINCT prompt_text FROM {scoped} WHERE length(prompt_text) >= 8 "
                    f"LIMIT 5000"
                ).fetchall()
            }
        for column, label in (
            ("org_id", "org id"),
            ("api_key_id", "API key id"),
            ("end_user_id", "end-user id"),
        ):
            if column in req:
                forbidden[label] = _distinct(con, scoped, column)
        forbidden["ip"] = {o.value for o in obs.ips}
    if acc:
        scoped = "accounts a JOIN scope s USING (account_id)"
        obs.payment_fingerprints = _top(con, scoped, "payment_fingerprint", acc)
        forbidden["payment fingerprint"] = {o.value for o in obs.payment_fingerprints}
        if "signup_ip" in acc:
            forbidden.setdefault("ip", set()).update(_distinct(con, scoped, "signup_ip"))
        if "org_id" in acc:
            forbidden.setdefault("org id", set()).update(_distinct(con, scoped, "org_id"))
    obs.forbidden = forbidden
    return obs


def _top(
    con: Any, scoped: str, expr: str, cols: set[str], needed: str | None = None
) -> list[Observed]:
    if (needed or expr) not in cols:
        return []
    return [
        Observed(str(v), int(n), int(a))
        for v, n, a in con.execute(
            f"SELECT {expr} AS v, count(*), count(DISTINCT account_id) FROM {scoped} "
            f"WHERE {needed or expr} IS NOT NULL GROUP BY v ORDER BY 2 DESC, 1 LIMIT {TOP_VALUES}"
        ).fetchall()
        if v is not None
    ]


def _distinct(con: Any, scoped: str, column: str) -> set[str]:
    rows = con.execute(
        f"SELECT DISTINCT {column} FROM {scoped} WHERE {column} IS NOT NULL LIMIT 100000"
    ).fetchall()
    return {str(r[0]) for r in rows}


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None
