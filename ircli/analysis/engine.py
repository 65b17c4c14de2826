"""The analysis run: load the tables, measure, link, judge, explain."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ircli.analysis import coordination, features, indicators, linking, tables
from ircli.analysis.explain import reasons
from ircli.analysis.verdicts import VERDICTS, judge

RESULT_VERSION = 1


@dataclass
class AnalysisResult:
    """Verdicts per account, clusters with evidence, and a summary (the JSON contract)."""

    accounts: list[dict[str, Any]]
    clusters: list[dict[str, Any]]
    summary: dict[str, Any]
    indicators: list[dict[str, str]] = field(default_factory=list)
    peers: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0
    """How long the analysis took: a fact of this run, kept out of the result (whose hash
    names it) so that the same evidence always gives the same analysis."""

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON form."""
        return {
            "version": RESULT_VERSION,
            "accounts": self.accounts,
            "clusters": self.clusters,
            "summary": self.summary,
            "indicators": self.indicators,
            "peers": self.peers,
        }


def analyze(
    requests: tables.Source,
    accounts: tables.Source,
    releases: tables.Source | None = None,
    *,
    memory_limit: str = "3GB",
    threads: int | None = None,
) -> AnalysisResult:
    """Analyse canonical requests and accounts (files or Arrow tables) for distillation."""
    started = time.perf_counter()
    con = tables.connect(memory_limit, threads)
    try:
        n_requests = tables.register(con, "requests", requests)
        tables.register(con, "accounts", accounts)
        has_releases = releases is not None
        if releases is not None:
            tables.register(con, "releases", releases)
        text_share = tables.has_values(con, "requests", "prompt_text")
        has_text = text_share >= 0.2
        features.build(con, text=has_text, releases=has_releases)
        linking.build_tokens(con)
        linking.link(con)
        linking.components(con)
        linking.communities(con)
        coordination.build(con)
        names = indicators.compute(con, has_text=has_text)
        evidence = linking.minimal_evidence(con)
        result = _judge_all(con, names, evidence, has_text=has_text)
    finally:
        con.close()
    result.summary.update(
        {
            "requests": n_requests,
            "prompt_text_share": round(text_share, 3),
            "content_source": "prompt text" if has_text else "hashes and token economics",
            "releases": "given" if has_releases else "inferred from first use",
        }
    )
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def _judge_all(
    con: Any,
    names: list[str],
    evidence: dict[str, list[linking.ClusterEvidence]],
    *,
    has_text: bool,
) -> AnalysisResult:
    cols = ["account_id", "root", "peer_group"] + [
        f"{n}_{k}" for n in names for k in ("v", "s", "p")
    ]
    table = con.sql(f"SELECT {', '.join(cols)} FROM ind ORDER BY account_id").to_arrow_table()
    data = table.to_pydict()
    n_rows = table.num_rows
    request_counts = dict(con.execute("SELECT account_id, n FROM f_base").fetchall())
    # Accounts whose text is withheld while others' is present: content unobserved.
    withheld = (
        {
            r[0]
            for r in con.execute("SELECT account_id FROM features WHERE n_text IS NULL").fetchall()
        }
        if has_text
        else set()
    )

    # Columns looked up once, not per account and indicator.
    s_cols = [(n, data[f"{n}_s"]) for n in names]
    v_cols = [(n, data[f"{n}_v"]) for n in names]
    p_cols = [(n, data[f"{n}_p"]) for n in names]

    # First pass: each account's own judgement; then each cluster's content level.
    rows = []
    for i in range(n_rows):
        strengths = {n: float(col[i] or 0.0) for n, col in s_cols}
        rows.append((data["account_id"][i], data["root"][i], strengths))
    # Only cluster members' own judgements are read (for their cluster's levels).
    own = {acc: judge(s, has_text=has_text) for acc, root, s in rows if root is not None}
    members: dict[str, list[str]] = {}
    for acc, root, _ in rows:
        if root is not None:
            members.setdefault(root, []).append(acc)
    # A cluster's content level: the median over members whose text we can read, which
    # also stands for members whose text is withheld.
    seen_content = {
        root: _median([own[a].content for a in accs if a not in withheld])
        for root, accs in members.items()
    }
    cluster_economics = {
        root: _median([own[a].families["economics"] for a in accs])
        for root, accs in members.items()
    }

    accounts_out = []
    verdict_of: dict[str, str] = {}
    score_of: dict[str, float] = {}
    for i, (acc, root, strengths) in enumerate(rows):
        hidden = acc in withheld
        j = judge(
            strengths,
            # Economics weigh as in a world with text: peers' text shows what harvesting
            # looks like here; only the linked accounts' content stands in for the unseen.
            has_text=has_text,
            cluster_content=seen_content.get(root, 0.0) if root else 0.0,
            text_withheld=hidden,
            linked=root is not None,
            cluster_economics=cluster_economics.get(root, 0.0) if root else 0.0,
        )
        values = {n: col[i] for n, col in v_cols}
        pcts = {n: col[i] for n, col in p_cols}
        record: dict[str, Any] = {
            "account_id": acc,
            "verdict": j.verdict,
            "score": j.score,
            "cluster_id": linking.cluster_id(root) if root else None,
            "reasons": reasons(j, strengths, values, pcts, has_text=has_text),
            "families": {k: round(v, 3) for k, v in j.families.items()},
            "requests": int(request_counts.get(acc, 0)),
            "peer_group": data["peer_group"][i],
        }
        # Every measured indicator for accounts that need attention; for clear ones only
        # those that fired at all, which keeps the result small at hundreds of thousands.
        record["indicators"] = {
            n: {
                "value": _num(values[n]),
                "strength": round(strengths[n], 3),
                "percentile": _num(pcts[n]),
            }
            for n in names
            if values[n] is not None and (j.verdict != "clear" or strengths[n] > 0)
        }
        verdict_of[acc] = j.verdict
        score_of[acc] = j.score
        accounts_out.append(record)

    clusters_out: list[dict[str, Any]] = []
    for root, accs in members.items():
        verdicts = Counter(verdict_of[a] for a in accs)
        clusters_out.append(
            {
                "cluster_id": linking.cluster_id(root),
                "accounts": sorted(accs),
                "size": len(accs),
                "score": round(_median([score_of[a] for a in accs]), 4),
                "verdicts": dict(verdicts),
                "requests": sum(int(request_counts.get(a, 0)) for a in accs),
                "evidence": [e.to_dict() for e in evidence.get(root, [])],
            }
        )
    clusters_out.sort(key=lambda c: (-c["score"], -c["size"], c["cluster_id"]))
    counts = Counter(verdict_of.values())
    alerted_requests = sum(
        int(request_counts.get(a, 0)) for a, v in verdict_of.items() if v == "alert"
    )
    summary: dict[str, Any] = {
        "accounts": len(accounts_out),
        "verdicts": {v: counts.get(v, 0) for v in VERDICTS},
        "alerted": counts.get("alert", 0),
        "alerted_requests": alerted_requests,
        "clusters": len(clusters_out),
        "alert_clusters": sum(
            1 for c in clusters_out if c["verdicts"].get("alert", 0) * 2 > c["size"]
        ),
        "largest_cluster": max((c["size"] for c in clusters_out), default=0),
        "top_cluster": clusters_out[0]["cluster_id"] if clusters_out else None,
    }
    accounts_out.sort(key=lambda a: (VERDICTS.index(a["verdict"]), -a["score"], a["account_id"]))
    catalogue = [
        {"name": ind.name, "family": ind.family, "definition": ind.definition}
        for ind in indicators.CATALOGUE
    ]
    return AnalysisResult(accounts_out, clusters_out, summary, catalogue, _peer_medians(con, names))


def _peer_medians(con: Any, names: list[str]) -> dict[str, dict[str, Any]]:
    """Per peer group, its size and each indicator's median: what a responder weighs an
    account's own value against (the percentile alone does not say how far off it is)."""
    medians = ", ".join(f"median({n}_v)::DOUBLE" for n in names)
    out: dict[str, dict[str, Any]] = {}
    for row in con.execute(
        f"SELECT peer_group, count(*), {medians} FROM ind GROUP BY 1"
    ).fetchall():
        group, size, values = row[0], row[1], row[2:]
        out[str(group)] = {
            "accounts": int(size),
            "median": {n: _num(v) for n, v in zip(names, values, strict=True) if v is not None},
        }
    return dict(sorted(out.items()))


def _median(xs: list[float]) -> float:
    if not xs:
        return 0.0
    s = sorted(xs)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def _num(x: Any) -> float | None:
    return None if x is None else round(float(x), 4)
