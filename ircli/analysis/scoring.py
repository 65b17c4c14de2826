"""Scoring an analysis against a labelled world: the quality bar of the distillation issue.

Labels are one row per account (JSONL, JSON, CSV or Parquet) with ``account_id``,
``archetype`` and ``campaign_id``; an optional ``kind`` (``attack``, ``benign``,
``policy``) says which side an archetype is on, else it is told from the archetype's name.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from math import comb
from pathlib import Path
from typing import Any

from ircli.errors import NotFoundError, ValidationError

# Targets from the quality bar; archetypes not named get the default of their side.
RECALL_TARGETS = {"slow": 0.80, "relay": 0.80}
RECALL_DEFAULT = 0.95
FPR_TARGETS = {"synthetic": 0.02}
FPR_DEFAULT = 0.01
EXCHANGE_RECALL_TARGET = 0.98
POLICY_TARGET = 0.90
ARI_TARGET = 0.80

_POLICY_WORDS = ("rate_limit", "ratelimit", "rate-limit", "evasion", "policy")
_BENIGN_WORDS = (
    "benign",
    "background",
    "enterprise",
    "etl",
    "eval",
    "synthetic",
    "contract",
    "campus",
    "nat",
    "oss",
    "open_source",
    "open-source",
    "reseller",
    "developer",
    "legit",
)


@dataclass
class Label:
    """What the world says one account is."""

    account_id: str
    archetype: str
    campaign_id: str | None
    kind: str  # attack | benign | policy
    requests: int | None = None


@dataclass
class Scorecard:
    """Every figure of the quality bar, with pass/fail against its target."""

    recall: dict[str, tuple[float, int, float]] = field(default_factory=dict)
    fpr: dict[str, tuple[float, int, float]] = field(default_factory=dict)
    exchange_recall: float = 0.0
    policy_routing: tuple[float, int] | None = None
    ari: float = 0.0
    ari_accounts: int = 0
    missing: int = 0

    @property
    def passed(self) -> bool:
        """True when every figure meets its target."""
        return (
            all(v >= t for v, _, t in self.recall.values())
            and all(v <= t for v, _, t in self.fpr.values())
            and self.exchange_recall >= EXCHANGE_RECALL_TARGET
            and (self.policy_routing is None or self.policy_routing[0] >= POLICY_TARGET)
            and self.ari >= ARI_TARGET
        )

    def rows(self) -> list[tuple[str, str, int, str, str, str]]:
        """(measure, archetype, accounts, value, target, ok) rows for a table."""
        out = []
        for name, (v, n, t) in sorted(self.recall.items()):
            out.append(("recall", name, n, f"{v:.3f}", f">= {t:.2f}", _ok(v >= t)))
        for name, (v, n, t) in sorted(self.fpr.items()):
            out.append(("false-positive rate", name, n, f"{v:.4f}", f"<= {t:.2f}", _ok(v <= t)))
        out.append(
            (
                "exchange-weighted recall",
                "all attacks",
                sum(n for _, n, _ in self.recall.values()),
                f"{self.exchange_recall:.4f}",
                f">= {EXCHANGE_RECALL_TARGET:.2f}",
                _ok(self.exchange_recall >= EXCHANGE_RECALL_TARGET),
            )
        )
        if self.policy_routing is not None:
            v, n = self.policy_routing
            out.append(
                (
                    "routed to policy",
                    "rate-limit evasion",
                    n,
                    f"{v:.3f}",
                    f">= {POLICY_TARGET:.2f}",
                    _ok(v >= POLICY_TARGET),
                )
            )
        out.append(
            (
                "adjusted Rand index",
                "clusters vs campaigns",
                self.ari_accounts,
                f"{self.ari:.3f}",
                f">= {ARI_TARGET:.2f}",
                _ok(self.ari >= ARI_TARGET),
            )
        )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "passed": self.passed,
            "recall": {
                k: {"value": v, "accounts": n, "target": t} for k, (v, n, t) in self.recall.items()
            },
            "false_positive_rate": {
                k: {"value": v, "accounts": n, "target": t} for k, (v, n, t) in self.fpr.items()
            },
            "exchange_weighted_recall": self.exchange_recall,
            "policy_routing": None
            if self.policy_routing is None
            else {"value": self.policy_routing[0], "accounts": self.policy_routing[1]},
            "adjusted_rand_index": self.ari,
            "ari_accounts": self.ari_accounts,
            "unlabelled_or_missing": self.missing,
        }


def _ok(flag: bool) -> str:
    return "ok" if flag else "FAIL"


def kind_of(archetype: str, campaign_id: str | None, given: str | None = None) -> str:
    """Which side an archetype is on: explicit ``kind`` first, then its name."""
    if given:
        g = given.lower()
        if g in ("attack", "distillation", "malicious", "campaign"):
            return "attack"
        if g in ("policy", "abuse", "rate_limit_evasion"):
            return "policy"
        if g in ("benign", "negative", "legitimate", "hard_negative", "background"):
            return "benign"
    name = archetype.lower()
    if any(w in name for w in _POLICY_WORDS):
        return "policy"
    if any(w in name for w in _BENIGN_WORDS):
        return "benign"
    return "attack" if campaign_id else "benign"


def load_labels(path: Path) -> list[Label]:
    """Read a labels file (JSONL, JSON list, CSV or Parquet)."""
    if not path.exists():
        raise NotFoundError(
            f"no such labels file: {path}",
            hint="ircli demo generate writes labels next to the evidence",
        )
    rows = _read_rows(path)
    out = []
    for row in rows:
        acc = row.get("account_id")
        arch = row.get("archetype") or row.get("label") or row.get("family")
        if not acc or not arch:
            raise ValidationError(
                f"{path.name}: a label row lacks account_id or archetype",
                hint="labels need account_id, archetype and campaign_id per account",
            )
        campaign = row.get("campaign_id") or row.get("campaign")
        n = row.get("requests") or row.get("distillation_requests")
        given = row.get("kind") or row.get("class")
        if not given and row.get("expected_verdict") == "policy":
            given = "policy"
        elif not given and row.get("is_attack") is not None:
            given = "attack" if str(row["is_attack"]).lower() in ("true", "1") else "benign"
        out.append(
            Label(
                str(acc),
                str(arch),
                str(campaign) if campaign else None,
                kind_of(str(arch), campaign, given),
                int(n) if n is not None else None,
            )
        )
    return out


def _read_rows(path: Path) -> list[dict[str, Any]]:
    name = path.name.lower()
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        return list(pq.read_table(path).to_pylist())
    text = path.read_text(encoding="utf-8")
    if name.endswith(".csv"):
        import csv
        import io

        return list(csv.DictReader(io.StringIO(text)))
    stripped = text.lstrip()
    if stripped.startswith("["):
        data = json.loads(text)
        return [r for r in data if isinstance(r, dict)]
    if stripped.startswith("{") and name.endswith(".json"):
        data = json.loads(text)
        if isinstance(data, dict) and isinstance(data.get("accounts"), list):
            return [r for r in data["accounts"] if isinstance(r, dict)]
        if isinstance(data, dict):
            return [{"account_id": k, **v} for k, v in data.items() if isinstance(v, dict)]
    try:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{path.name}: not JSON lines ({exc.msg} at line {exc.lineno})"
        ) from exc


def score(labels: Iterable[Label], analysis: Mapping[str, Any]) -> Scorecard:
    """Score an analysis result (its JSON dict) against labels."""
    by_acc = {a["account_id"]: a for a in analysis.get("accounts", [])}
    card = Scorecard()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # archetype → [hits, n]
    side: dict[str, str] = {}
    ex_hit = ex_all = 0
    policy = [0, 0]
    truth: list[str] = []
    pred: list[str] = []
    for lab in labels:
        got = by_acc.get(lab.account_id)
        if got is None:
            card.missing += 1
        verdict = got["verdict"] if got else "clear"
        side[lab.archetype] = lab.kind
        t = totals[lab.archetype]
        t[1] += 1
        if verdict == "alert":
            t[0] += 1
        if lab.kind == "attack":
            n = lab.requests if lab.requests is not None else int((got or {}).get("requests", 0))
            ex_all += n
            ex_hit += n if verdict == "alert" else 0
        if lab.kind == "policy":
            policy[1] += 1
            policy[0] += verdict == "policy"
        if lab.campaign_id and lab.kind in ("attack", "policy"):
            truth.append(lab.campaign_id)
            cid = (got or {}).get("cluster_id")
            pred.append(cid if cid else "single:" + lab.account_id)
    for arch, (hits, n) in totals.items():
        rate = hits / n if n else 0.0
        if side[arch] == "attack":
            target = next(
                (v for k, v in RECALL_TARGETS.items() if k in arch.lower()), RECALL_DEFAULT
            )
            card.recall[arch] = (rate, n, target)
        elif side[arch] == "benign":
            target = next((v for k, v in FPR_TARGETS.items() if k in arch.lower()), FPR_DEFAULT)
            card.fpr[arch] = (rate, n, target)
    card.exchange_recall = ex_hit / ex_all if ex_all else 0.0
    card.policy_routing = (policy[0] / policy[1], policy[1]) if policy[1] else None
    card.ari = adjusted_rand_index(truth, pred)
    card.ari_accounts = len(truth)
    return card


def adjusted_rand_index(truth: list[str], pred: list[str]) -> float:
    """Hubert–Arabie adjusted Rand index of two labelings of the same items."""
    n = len(truth)
    if n < 2:
        return 1.0
    pairs = Counter(zip(truth, pred, strict=True))
    sum_cells = sum(comb(c, 2) for c in pairs.values())
    sum_a = sum(comb(c, 2) for c in Counter(truth).values())
    sum_b = sum(comb(c, 2) for c in Counter(pred).values())
    total = comb(n, 2)
    expected = sum_a * sum_b / total
    maximum = (sum_a + sum_b) / 2
    if maximum == expected:
        return 1.0
    return (sum_cells - expected) / (maximum - expected)
