"""An incident's findings for people: the latest analysis as accounts and clusters to sort,
filter and open, each account with its indicators against its peers and sample prompts.

The analysis result (``analysis.completed`` names a content-addressed JSON file, checked
against its recorded sha256 by :func:`ircli.services.analysis.latest_analysis`) is turned
into plain frozen values here, so a front end can build them in a worker thread and hand
them to its UI thread. Account ids, prompts and tokens inside are attacker-controlled
text: front ends show them inert.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ircli.errors import NotFoundError
from ircli.services.evidence import PromptSample, sample_prompts
from ircli.services.workspace import Workspace

VERDICT_ORDER = ("alert", "watch", "policy", "clear")
SORT_KEYS = ("verdict", "score", "account", "cluster", "requests")
"""What the accounts table sorts by; ``verdict`` is the analysis's own order."""


@dataclass(frozen=True, slots=True)
class AccountFinding:
    """One account of the analysis: verdict, score, cluster and the reasons in words."""

    account: str
    verdict: str
    score: float
    cluster: str | None
    requests: int
    reasons: tuple[str, ...]

    @property
    def top_reason(self) -> str:
        """The strongest indicator's sentence (or the verdict line when none fired)."""
        return self.reasons[1] if len(self.reasons) > 1 else (self.reasons or ("",))[0]


@dataclass(frozen=True, slots=True)
class ClusterEdge:
    """One token of a cluster's minimal evidence: what its members share."""

    kind: str
    token: str
    accounts: int
    weight: float
    reason: str
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClusterFinding:
    """One cluster of linked accounts with the evidence that links them."""

    cluster: str
    size: int
    score: float
    verdicts: dict[str, int]
    requests: int
    accounts: tuple[str, ...]
    evidence: tuple[ClusterEdge, ...]

    @property
    def verdict_line(self) -> str:
        """``3 alert · 1 watch`` in the analysis's verdict order."""
        parts = [f"{self.verdicts[v]} {v}" for v in VERDICT_ORDER if self.verdicts.get(v)]
        return " · ".join(parts)


@dataclass(frozen=True)
class Findings:
    """The incident's latest analysis, ready to show."""

    incident: str
    analysis_id: str
    seq: int
    summary: dict[str, Any]
    accounts: tuple[AccountFinding, ...]
    clusters: tuple[ClusterFinding, ...]
    result: dict[str, Any]

    def account(self, account: str) -> AccountFinding:
        """One account's finding."""
        for found in self.accounts:
            if found.account == account:
                return found
        raise NotFoundError(f"{account!r} is not in analysis {self.analysis_id}")

    def cluster(self, cluster: str) -> ClusterFinding:
        """One cluster's finding."""
        for found in self.clusters:
            if found.cluster == cluster:
                return found
        raise NotFoundError(f"no cluster {cluster!r} in analysis {self.analysis_id}")


def incident_findings(ws: Workspace, incident: str) -> Findings | None:
    """The findings of the incident's latest analysis, or ``None`` when none ran yet."""
    from ircli.services.analysis import latest_analysis
    from ircli.services.incidents import resolve_incident_id

    incident = resolve_incident_id(ws, incident)  # an unknown incident is an error
    try:
        done = latest_analysis(ws, incident)
    except NotFoundError:  # the incident exists: it has no analysis yet
        return None
    return findings_of(done.result, incident=incident, analysis_id=done.analysis_id, seq=done.seq)


def findings_of(
    result: dict[str, Any], *, incident: str = "", analysis_id: str = "", seq: int = 0
) -> Findings:
    """Findings from an analysis result dict (the documented JSON form)."""
    accounts = tuple(
        AccountFinding(
            str(a["account_id"]),
            str(a["verdict"]),
            float(a.get("score") or 0.0),
            None if a.get("cluster_id") is None else str(a["cluster_id"]),
            int(a.get("requests") or 0),
            tuple(str(r) for r in a.get("reasons") or ()),
        )
        for a in result.get("accounts", [])
    )
    clusters = tuple(
        ClusterFinding(
            str(c["cluster_id"]),
            int(c.get("size") or len(c.get("accounts", []))),
            float(c.get("score") or 0.0),
            {str(k): int(v) for k, v in (c.get("verdicts") or {}).items()},
            int(c.get("requests") or 0),
            tuple(str(a) for a in c.get("accounts", [])),
            tuple(
                ClusterEdge(
                    str(e.get("kind", "")),
                    str(e.get("token", "")),
                    int(e.get("accounts") or 0),
                    float(e.get("weight") or 0.0),
                    str(e.get("reason", "")),
                    tuple(str(x) for x in e.get("examples") or ()),
                )
                for e in c.get("evidence", [])
            ),
        )
        for c in result.get("clusters", [])
    )
    return Findings(
        incident, analysis_id, seq, dict(result.get("summary", {})), accounts, clusters, result
    )


# -- sorting and filtering -------------------------------------------------------------


def sort_accounts(
    rows: Iterable[AccountFinding], key: str, *, descending: bool = False
) -> list[AccountFinding]:
    """``rows`` ordered by one of :data:`SORT_KEYS`, ties broken by score then account id.

    ``verdict`` ascending means alert first (the analysis's order); ``score`` and
    ``requests`` ascending mean smallest first.
    """
    if key not in SORT_KEYS:
        raise ValueError(f"cannot sort accounts by {key!r}")
    ranked = sorted(rows, key=lambda r: (-r.score, r.account))
    if key == "verdict":
        order = {v: i for i, v in enumerate(VERDICT_ORDER)}
        ranked.sort(key=lambda r: order.get(r.verdict, len(order)), reverse=descending)
    elif key == "score":
        ranked.sort(key=lambda r: r.score, reverse=descending)
    elif key == "account":
        ranked.sort(key=lambda r: r.account, reverse=descending)
    elif key == "cluster":
        # Accounts in no cluster go last either way: they are what a responder sorts past.
        ranked.sort(key=lambda r: r.cluster or "", reverse=descending)
        ranked.sort(key=lambda r: r.cluster is None)
    else:
        ranked.sort(key=lambda r: r.requests, reverse=descending)
    return ranked


def filter_accounts(
    rows: Iterable[AccountFinding],
    *,
    verdict: str | None = None,
    cluster: str | None = None,
    text: str = "",
) -> list[AccountFinding]:
    """The rows with ``verdict``, in a cluster whose id starts with ``cluster`` (``-`` means
    in no cluster) and containing ``text`` (case-insensitive) in the account id."""
    wanted_cluster = (cluster or "").strip().lower()
    needle = text.strip().lower()
    out = []
    for row in rows:
        if verdict and row.verdict != verdict:
            continue
        if wanted_cluster == "-":
            if row.cluster is not None:
                continue
        elif wanted_cluster and not (row.cluster or "").lower().startswith(wanted_cluster):
            continue
        if needle and needle not in row.account.lower():
            continue
        out.append(row)
    return out


# -- one account in depth --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorReading:
    """One indicator of one account, against its peers."""

    name: str
    family: str
    definition: str
    value: float | None
    strength: float
    percentile: float | None
    peer_median: float | None


@dataclass(frozen=True)
class AccountDetail:
    """Everything the drill-down shows about one account."""

    finding: AccountFinding
    families: dict[str, float]
    peer_group: str
    peers: int
    indicators: tuple[IndicatorReading, ...]
    cluster: ClusterFinding | None
    mates: tuple[AccountFinding, ...]
    mates_total: int
    prompts: tuple[PromptSample, ...]
    prompts_note: str


MATES_SHOWN = 50


def account_detail(
    ws: Workspace, findings: Findings, account: str, *, prompts: int = 5
) -> AccountDetail:
    """One account's reasons, indicators against its peers, cluster-mates and sample
    prompts read from the incident's evidence."""
    finding = findings.account(account)
    record = next(a for a in findings.result["accounts"] if str(a["account_id"]) == account)
    catalogue = {str(i["name"]): i for i in findings.result.get("indicators", [])}
    group = str(record.get("peer_group") or "")
    peers = (findings.result.get("peers") or {}).get(group, {})
    medians = peers.get("median", {})
    readings = [
        IndicatorReading(
            name,
            str(catalogue.get(name, {}).get("family", "")),
            str(catalogue.get(name, {}).get("definition", "")),
            _float(m.get("value")),
            float(m.get("strength") or 0.0),
            _float(m.get("percentile")),
            _float(medians.get(name)),
        )
        for name, m in (record.get("indicators") or {}).items()
    ]
    readings.sort(key=lambda r: (-r.strength, r.name))
    cluster = findings.cluster(finding.cluster) if finding.cluster else None
    mates: list[AccountFinding] = []
    if cluster is not None:
        mates = [m for m in cluster_members(findings, cluster.cluster) if m.account != account]
    samples: list[PromptSample] = []
    note = ""
    if findings.incident and prompts:
        samples, note = sample_prompts(ws, findings.incident, account, limit=prompts)
    return AccountDetail(
        finding,
        {str(k): float(v) for k, v in (record.get("families") or {}).items()},
        group,
        int(peers.get("accounts") or 0),
        tuple(readings),
        cluster,
        tuple(mates[:MATES_SHOWN]),
        len(mates),
        tuple(samples),
        note,
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def cluster_members(findings: Findings, cluster: str) -> list[AccountFinding]:
    """A cluster's accounts as findings, alert first."""
    wanted = set(findings.cluster(cluster).accounts)
    return sort_accounts((a for a in findings.accounts if a.account in wanted), "verdict")


def verdict_counts(rows: Sequence[AccountFinding]) -> dict[str, int]:
    """How many of ``rows`` have each verdict, in the analysis's order."""
    counts = dict.fromkeys(VERDICT_ORDER, 0)
    for row in rows:
        counts[row.verdict] = counts.get(row.verdict, 0) + 1
    return counts
