"""The findings service the analysis tabs read: accounts, clusters, sorting, filtering and
one account in depth (indicators against peers, cluster-mates, sample prompts)."""

from __future__ import annotations

import pytest

from ircli.errors import NotFoundError
from ircli.services.findings import (
    SORT_KEYS,
    AccountFinding,
    account_detail,
    cluster_members,
    filter_accounts,
    incident_findings,
    sort_accounts,
)
from ircli.services.incidents import open_incident
from ircli.services.workspace import Workspace


def test_no_analysis_means_no_findings(ws: Workspace) -> None:
    inc = open_incident(ws, title="fresh").id
    assert incident_findings(ws, inc) is None


def test_findings_mirror_the_stored_result(ws: Workspace, analysed: str) -> None:
    found = incident_findings(ws, analysed)
    assert found is not None
    assert found.analysis_id.startswith("AN-")
    assert len(found.accounts) == found.summary["accounts"] > 20
    assert len(found.clusters) == found.summary["clusters"] > 0
    hydra = found.account("hydra-0")
    assert hydra.verdict == "alert" and hydra.cluster is not None
    assert hydra.reasons[0].startswith("alert:")
    assert hydra.top_reason == hydra.reasons[1] and hydra.top_reason.startswith("[")
    cluster = found.cluster(hydra.cluster)
    assert {f"hydra-{i}" for i in range(6)} <= set(cluster.accounts)
    assert cluster.evidence and all(e.reason for e in cluster.evidence)
    assert "alert" in cluster.verdict_line
    with pytest.raises(NotFoundError):
        found.account("nobody")


def _rows() -> list[AccountFinding]:
    return [
        AccountFinding("b", "watch", 0.5, "CL-2", 10, ("watch: x",)),
        AccountFinding("a", "alert", 0.9, "CL-1", 5, ("alert: x", "[content] y")),
        AccountFinding("c", "clear", 0.1, None, 50, ("clear: x",)),
        AccountFinding("d", "alert", 0.7, "CL-2", 1, ("alert: x",)),
    ]


@pytest.mark.parametrize(
    ("key", "descending", "expected"),
    [
        ("verdict", False, "adbc"),
        ("verdict", True, "cbad"),
        ("score", True, "adbc"),
        ("score", False, "cbda"),
        ("account", False, "abcd"),
        ("account", True, "dcba"),
        ("cluster", False, "adbc"),  # no cluster last, either way
        ("cluster", True, "dbac"),
        ("requests", True, "cbad"),
    ],
)
def test_sort_accounts(key: str, descending: bool, expected: str) -> None:
    got = sort_accounts(_rows(), key, descending=descending)
    assert "".join(r.account for r in got) == expected


def test_sort_keys_are_all_accepted_and_others_refused() -> None:
    for key in SORT_KEYS:
        assert len(sort_accounts(_rows(), key)) == 4
    with pytest.raises(ValueError):
        sort_accounts(_rows(), "nonsense")


def test_filter_accounts_by_verdict_cluster_and_text() -> None:
    rows = _rows()
    assert [r.account for r in filter_accounts(rows, verdict="alert")] == ["a", "d"]
    assert [r.account for r in filter_accounts(rows, cluster="cl-2")] == ["b", "d"]
    assert [r.account for r in filter_accounts(rows, cluster="-")] == ["c"]
    assert [r.account for r in filter_accounts(rows, verdict="alert", cluster="CL-2")] == ["d"]
    assert [r.account for r in filter_accounts(rows, text="C")] == ["c"]
    assert filter_accounts(rows, verdict="policy") == []


def test_account_detail_has_peers_mates_and_prompts(ws: Workspace, analysed: str) -> None:
    found = incident_findings(ws, analysed)
    assert found is not None
    detail = account_detail(ws, found, "hydra-0")
    assert detail.finding.account == "hydra-0"
    assert detail.peer_group == "tier2" and detail.peers > 10
    strongest = detail.indicators[0]
    assert strongest.strength >= detail.indicators[-1].strength
    assert strongest.family and strongest.definition
    assert strongest.percentile is not None and strongest.peer_median is not None
    cot = next(r for r in detail.indicators if r.name == "cot_share")
    assert cot.value is not None and cot.peer_median is not None and cot.value > cot.peer_median
    assert {m.account for m in detail.mates} >= {f"hydra-{i}" for i in range(1, 6)}
    assert "hydra-0" not in {m.account for m in detail.mates}
    assert detail.mates_total == len(detail.mates)
    assert 0 < len(detail.prompts) <= 5
    assert all("step by step" in p.text for p in detail.prompts)
    assert all(p.count >= 1 and p.first_seen.startswith("2026-") for p in detail.prompts)
    assert detail.prompts_note == ""
    members = cluster_members(found, detail.finding.cluster or "")
    assert members[0].verdict == "alert" and len(members) == detail.mates_total + 1
