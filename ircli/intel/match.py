"""Matching shared indicators against an incident's evidence (canonical tables in Parquet).

DuckDB groups the evidence once per observable (source IP, ASN, user agent, payment
fingerprint, system-prompt hash, prompt-template fingerprint) into ``value → accounts,
count, first, last``; indicators are then matched against those groups in Python, where
CIDR containment and keyed hashes are exact. The evidence is read, never changed.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ircli.core.clock import format_ts
from ircli.core.redaction import RedactionPolicy
from ircli.intel.fingerprints import (
    FINGERPRINT_KINDS,
    fingerprint_matches,
    fingerprint_token,
    template_fingerprint_sql,
)
from ircli.intel.indicators import IntelIndicator
from ircli.intel.patterns import Term

MAX_ACCOUNTS_LISTED = 10_000


@dataclass
class Group:
    """Evidence rows sharing one observed value."""

    value: str
    accounts: set[str]
    count: int
    first: str | None
    last: str | None


@dataclass
class Sighting:
    """One indicator seen in the evidence."""

    indicator: str
    source: str | None
    source_name: str | None
    name: str
    accounts: list[str]
    count: int
    first_seen: str | None
    last_seen: str | None
    matched: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: the payload of an ``intel.sighting`` event."""
        return {
            "indicator": self.indicator,
            "source": self.source,
            "source_name": self.source_name,
            "name": self.name,
            "accounts": self.accounts[:MAX_ACCOUNTS_LISTED],
            "accounts_total": len(self.accounts),
            "count": self.count,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "matched": self.matched[:100],
        }


# observable → (table, column expression, time column)
_OBSERVABLES: dict[str, list[tuple[str, str, str]]] = {
    "ip": [("requests", "src_ip", "ts"), ("accounts", "signup_ip", "created_at")],
    "asn": [("requests", "CAST(asn AS VARCHAR)", "ts")],
    "user_agent": [("requests", "user_agent", "ts")],
    "payment-fingerprint": [("accounts", "payment_fingerprint", "created_at")],
    "system-prompt": [("requests", "system_prompt_hash", "ts")],
    "prompt-template": [("requests", "__template__", "ts")],
}
_OBSERVABLES["user-agent"] = _OBSERVABLES["user_agent"]

_BEHAVIOURAL = ("payment-fingerprint", "system-prompt", "prompt-template")

_NEEDS_COLUMN = {
    "CAST(asn AS VARCHAR)": "asn",
    "__template__": "prompt_text",
}


class Evidence:
    """The incident's canonical tables, opened read-only through DuckDB."""

    def __init__(self, requests: Sequence[Path], accounts: Sequence[Path]) -> None:
        import duckdb

        self.requests, self.accounts = list(requests), list(accounts)
        self._con = duckdb.connect(":memory:")
        self._columns: dict[str, set[str]] = {}
        for table, paths in (("requests", requests), ("accounts", accounts)):
            if not paths:
                continue
            files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
            self._con.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_parquet([{files}], union_by_name=true)"
            )
            rows = self._con.execute(f"DESCRIBE {table}").fetchall()
            self._columns[table] = {str(r[0]) for r in rows}
        self._cache: dict[str, list[Group]] = {}
        self._distinct: dict[str, list[str]] = {}

    def close(self) -> None:
        """Release DuckDB."""
        self._con.close()

    def narrow(self, observable: str, where: str, params: Sequence[Any] = ()) -> None:
        """Load only the groups of ``observable`` whose value ``v`` satisfies ``where``.

        ``where`` is SQL over ``v`` (the value expression); matching then looks at these
        groups only, so a large evidence table is never grouped in full for a few values.
        """
        out: list[Group] = []
        for table, expr, ts in _OBSERVABLES[observable]:
            out.extend(self._group(table, expr, ts, where, params))
        self._cache[observable] = out

    def groups(self, observable: str) -> list[Group]:
        """Evidence grouped by one observable's value (all of it unless :meth:`narrow` ed)."""
        if observable not in self._cache:
            self.narrow(observable, "TRUE")
        return self._cache[observable]

    def distinct(self, observable: str) -> list[str]:
        """Every distinct value of an observable (cheap next to grouping: no aggregates)."""
        if observable in self._distinct:
            return self._distinct[observable]
        values: set[str] = set()
        for table, expr, _ in _OBSERVABLES[observable]:
            columns = self._columns.get(table, set())
            if expr in columns:
                rows = self._con.execute(
                    f"SELECT DISTINCT {expr} FROM {table} WHERE {expr} IS NOT NULL"
                ).fetchall()
                values.update(str(r[0]) for r in rows)
        self._distinct[observable] = sorted(values)
        return self._distinct[observable]

    def _group(
        self, table: str, expr: str, ts: str, where: str, params: Sequence[Any]
    ) -> list[Group]:
        columns = self._columns.get(table)
        needed = _NEEDS_COLUMN.get(expr, expr)
        if not columns or needed not in columns or "account_id" not in columns:
            return []
        if expr == "__template__":
            expr = template_fingerprint_sql("prompt_text")
        time_cols = f"min({ts}), max({ts})" if ts in columns else "NULL, NULL"
        condition = where.replace("{v}", f"({expr})")
        sql = (
            f"SELECT {expr} AS v, list(DISTINCT account_id), count(*), {time_cols} "
            f"FROM {table} WHERE {needed} IS NOT NULL AND ({condition}) GROUP BY v"
        )
        rows = self._con.execute(sql, list(params)).fetchall()
        return [
            Group(str(v), set(accts), int(n), as_ts(first), as_ts(last))
            for v, accts, n, first, last in rows
            if v is not None
        ]


def as_ts(value: Any) -> str | None:
    """A DuckDB timestamp as the journal's ISO 8601 UTC form."""
    if isinstance(value, datetime):
        return format_ts(value) if value.tzinfo else format_ts(value.astimezone())
    return None if value is None else str(value)


@functools.lru_cache(maxsize=1 << 20)
def parse_ip(text: str) -> tuple[int, int, str] | None:
    """``(version, integer, normal form)`` of an address, or ``None``.

    ``inet_pton`` is C-fast and strict (no leading zeros, no zone ids); ``ipaddress`` only
    formats IPv6, whose canonical text rules are subtle.
    """
    text = text.strip()
    try:
        if ":" in text:
            packed = socket.inet_pton(socket.AF_INET6, text)
            return 6, int.from_bytes(packed, "big"), str(ipaddress.IPv6Address(packed))
        packed = socket.inet_pton(socket.AF_INET, text)
        return 4, int.from_bytes(packed, "big"), socket.inet_ntop(socket.AF_INET, packed)
    except (OSError, ValueError):
        return None


class _IpIndex:
    """Evidence IPs sorted by integer value, so a CIDR is two binary searches."""

    def __init__(self, groups: list[Group]) -> None:
        keyed: list[tuple[int, int, int]] = []
        self.groups = groups
        self.exact: dict[str, list[int]] = {}
        for index, group in enumerate(groups):
            parsed = parse_ip(group.value)
            if parsed is None:
                continue
            version, number, normal = parsed
            keyed.append((version, number, index))
            self.exact.setdefault(normal, []).append(index)
        keyed.sort()
        self.keys = [(v, n) for v, n, _ in keyed]
        self.index = [i for _, _, i in keyed]

    def find(self, op: str, value: str) -> list[int]:
        if op == "eq":
            return self.exact.get(value, [])
        network = ipaddress.ip_network(value, strict=False)
        lo = bisect.bisect_left(self.keys, (network.version, int(network.network_address)))
        hi = bisect.bisect_right(self.keys, (network.version, int(network.broadcast_address)))
        return self.index[lo:hi]


def match_indicators(
    indicators: Iterable[IntelIndicator],
    evidence: Evidence,
    policy: RedactionPolicy,
    *,
    narrow: bool = True,
) -> list[Sighting]:
    """Every supported indicator that matches the evidence, as a :class:`Sighting`.

    ``narrow=False`` groups every observable in full (the reference the tests compare with).
    """
    indicators = [i for i in indicators if not i.unsupported and i.terms]
    if narrow:
        _narrow(indicators, evidence)
    ip_index: _IpIndex | None = None
    by_value: dict[str, dict[str, list[int]]] = {}
    tokens: dict[str, dict[str, list[int]]] = {}
    found: list[Sighting] = []
    for indicator in indicators:
        hits: set[tuple[str, int]] = set()
        for term in indicator.terms:
            observable = term.kind
            if term.value.startswith("hmac-sha256:") or observable in _BEHAVIOURAL:
                hits.update(_fingerprint_hits(observable, term.value, evidence, policy, tokens))
            elif observable == "ip" and term.op in ("eq", "cidr"):
                if ip_index is None:
                    ip_index = _IpIndex(evidence.groups("ip"))
                hits.update(("ip", i) for i in ip_index.find(term.op, term.value))
            elif observable in ("asn", "user_agent") and term.op == "eq":
                lookup = by_value.setdefault(observable, _index(evidence.groups(observable)))
                hits.update((observable, i) for i in lookup.get(term.value, []))
            elif observable == "user_agent" and term.op == "like":
                regex = _like(term.value)
                hits.update(
                    ("user_agent", i)
                    for i, g in enumerate(evidence.groups("user_agent"))
                    if regex.fullmatch(g.value)
                )
        if hits:
            found.append(_sighting(indicator, hits, evidence))
    return found


def _narrow(indicators: list[IntelIndicator], evidence: Evidence) -> None:
    """Tell DuckDB which values can match, so only those groups come back to Python.

    CIDRs are resolved against the distinct addresses in Python (exact, and far cheaper
    than a range join in SQL); keyed hashes need every value, so those observables load whole.
    """
    exact: dict[str, set[str]] = {}
    likes: list[str] = []
    everything: set[str] = set()
    networks: list[Term] = []
    for indicator in indicators:
        for term in indicator.terms:
            kind = term.kind
            if term.value.startswith("hmac-sha256:"):
                everything.add(kind)
            elif kind == "ip" and term.op == "cidr":
                networks.append(term)
            elif kind == "user_agent" and term.op == "like":
                likes.append(term.value)
            elif kind in _BEHAVIOURAL:
                exact.setdefault(kind, set()).add(term.value.removeprefix("sha256:"))
            else:
                exact.setdefault(kind, set()).add(term.value)
    if networks and "ip" not in everything:
        exact.setdefault("ip", set()).update(_in_networks(evidence.distinct("ip"), networks))
    if "ip" in exact and "ip" not in everything:
        # Evidence may write an address differently (IPv6 case, zeros): compare normalised.
        exact["ip"] |= {v for v in evidence.distinct("ip") if _normal_ip(v) in exact["ip"]}
    wanted = set(exact) | everything | ({"user_agent"} if likes else set())
    for observable in sorted(wanted & set(_OBSERVABLES)):
        if observable in everything:
            evidence.narrow(observable, "TRUE")
            continue
        conditions: list[str] = []
        params: list[Any] = []
        values = sorted(exact.get(observable, set()))
        if values:
            lowered = "lower({v})" if observable in _BEHAVIOURAL else "{v}"
            conditions.append(f"{lowered} IN (SELECT unnest(?::VARCHAR[]))")
            params.append(values)
        if observable == "user_agent":
            for pattern in likes:
                conditions.append("{v} LIKE ?")
                params.append(pattern)
        evidence.narrow(observable, " OR ".join(conditions) or "FALSE", params)


def _in_networks(values: list[str], networks: list[Term]) -> set[str]:
    """The values that fall in any of the CIDR terms (sorted once, two bisects per network)."""
    keyed = sorted(
        (parsed[0], parsed[1], value) for value in values if (parsed := parse_ip(value)) is not None
    )
    keys = [(version, number) for version, number, _ in keyed]
    found: set[str] = set()
    for term in networks:
        network = ipaddress.ip_network(term.value, strict=False)
        lo = bisect.bisect_left(keys, (network.version, int(network.network_address)))
        hi = bisect.bisect_right(keys, (network.version, int(network.broadcast_address)))
        found.update(value for _, _, value in keyed[lo:hi])
    return found


def _normal_ip(value: str) -> str | None:
    parsed = parse_ip(value)
    return parsed[2] if parsed else None


def _index(groups: list[Group]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        out.setdefault(group.value, []).append(i)
    return out


def _fingerprint_hits(
    kind: str,
    value: str,
    evidence: Evidence,
    policy: RedactionPolicy,
    tokens: dict[str, dict[str, list[int]]],
) -> list[tuple[str, int]]:
    if kind not in FINGERPRINT_KINDS:
        return []
    groups = evidence.groups(kind)
    if value.startswith("hmac-sha256:"):
        if kind not in tokens:
            table: dict[str, list[int]] = {}
            for i, group in enumerate(groups):
                table.setdefault(fingerprint_token(kind, group.value, policy), []).append(i)
            tokens[kind] = table
        return [(kind, i) for i in tokens[kind].get(value, [])]
    return [
        (kind, i) for i, g in enumerate(groups) if fingerprint_matches(kind, value, g.value, policy)
    ]


def _like(pattern: str) -> re.Pattern[str]:
    parts = [".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL)


def _sighting(
    indicator: IntelIndicator, hits: set[tuple[str, int]], evidence: Evidence
) -> Sighting:
    accounts: set[str] = set()
    count = 0
    firsts: list[str] = []
    lasts: list[str] = []
    matched: list[dict[str, str]] = []
    for observable, index in sorted(hits):
        group = evidence.groups(observable)[index]
        accounts |= group.accounts
        count += group.count
        if group.first:
            firsts.append(group.first)
        if group.last:
            lasts.append(group.last)
        entry = {"kind": observable, "value": group.value}
        if entry not in matched:
            matched.append(entry)
    # Group order from DuckDB is not stable; the journaled payload must be.
    matched.sort(key=lambda m: (m["kind"], m["value"]))
    return Sighting(
        indicator=indicator.id,
        source=indicator.source,
        source_name=indicator.source_name,
        name=indicator.name,
        accounts=sorted(accounts),
        count=count,
        first_seen=min(firsts) if firsts else None,
        last_seen=max(lasts) if lasts else None,
        matched=matched,
    )
