"""The catalogue of archetypes: what each is, whether it is an attack, its expected verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ircli.world import attacks, negatives
from ircli.world.world import World

Builder = Callable[[World, int, str], None]


@dataclass(frozen=True)
class Archetype:
    """One kind of account population in the synthetic world."""

    name: str
    is_attack: bool
    verdict: str  # alert | policy | clear
    build: Builder
    summary: str


def _a(name: str, build: Builder, summary: str) -> Archetype:
    return Archetype(name, True, "alert", build, summary)


def _n(name: str, build: Builder, summary: str, verdict: str = "clear") -> Archetype:
    return Archetype(name, False, verdict, build, summary)


_ALL = (
    _a("hydra_cot", attacks.hydra, "CoT harvesting by a hydra cluster of trial accounts"),
    _a("agentic_pivot", attacks.agentic_pivot, "agentic-coding extraction with a release pivot"),
    _a("sharded_slow", attacks.sharded_slow, "slow-and-low sharded curriculum from aged accounts"),
    _a("rubric_farming", attacks.rubric_farming, "rubric-grading reward-model farming"),
    _a("relay_laundering", attacks.relay_laundering, "relay tenants without end-user ids"),
    _a("multilingual_coercion", attacks.multilingual_coercion, "thinking-language coercion"),
    _n("enterprise_etl", negatives.enterprise_etl, "enterprise nightly batch extraction"),
    _n("eval_lab", negatives.eval_lab, "evaluation partner pivoting on release"),
    _n("synthetic_contract", negatives.synthetic_contract, "contracted synthetic data"),
    _n("campus_nat", negatives.campus_nat, "researchers behind a campus NAT"),
    _n("oss_agent", negatives.oss_agent, "developers sharing an open-source agent's prompt"),
    _n("reseller", negatives.reseller, "contracted reseller sending end-user ids"),
    _n("background", negatives.background, "ordinary customers"),
    _n("ratelimit_evasion", negatives.ratelimit_evasion, "rate-limit evasion (not distillation)",
       verdict="policy"),
)  # fmt: skip

ARCHETYPES: dict[str, Archetype] = {a.name: a for a in _ALL}
ATTACKS = tuple(a.name for a in _ALL if a.is_attack)
NEGATIVES = tuple(a.name for a in _ALL if not a.is_attack)
