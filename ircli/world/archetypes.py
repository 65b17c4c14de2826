"""The catalogue of archetypes: what each is, whether it is an attack, its expected verdict.

What each archetype leaves in the logs (the signals an analysis should find, and the
look-alikes it must not convict):

=======================  =====================================================================
hydra_cot                fresh accounts created in batches (same hours, shared sign-up exits),
                         trial-heavy; payment fingerprints shared by ~8 accounts across orgs;
                         residential-proxy exits; CoT prompts incl. "here is the finished
                         answer, explain the reasoning"; high output/input; single-turn;
                         disjoint curriculum shards; all accounts fire in the same waves;
                         a rare shared system prompt on most accounts
agentic_pivot            coding-agent trajectories (tools, long contexts, many turns) plus
                         chat filler; cloud hosting; part of the fleet poses as the popular
                         open-source agent; switches to the new model within 24 h of its
                         release and replays earlier prompts on it
sharded_slow             accounts aged 200-900 days with ordinary histories, home-ISP
                         addresses, ~7 requests/day, human hours; each walks a disjoint shard
                         of one long curriculum ("Lesson N of ...")
rubric_farming           judge / rubric / pairwise-preference prompts at a machine cadence
                         (even spacing), short outputs; shared payment fingerprints
relay_laundering         a few tenant orgs on the same hosting servers, heterogeneous traffic
                         (reasoning, chat, code, judging, other languages), no end-user ids,
                         no reseller contract
multilingual_coercion    "think in <language> and write out all your reasoning" in zh, de, es,
                         fr, ru, ja, ko, pt and more; proxies; waves; thinking-heavy
enterprise_etl           (clear) KYB-verified org, many keys, nightly batch extraction, ZDR
eval_lab                 (clear) public benchmark templates, eval_partner + KYB, pivots to
                         the new model within hours of release and re-runs the same items
synthetic_contract       (clear) content-identical to hydra_cot, walking disjoint shards,
                         but synthetic_data_ok + KYB, stable cloud addresses
campus_nat               (clear) dozens of accounts behind one or two edu addresses
oss_agent                (clear) unrelated developers sharing one system prompt and tools hash
reseller                 (clear) heterogeneous traffic with end-user ids, reseller + KYB
background               (clear) ordinary customers: chat, code, writing, students, analysts,
                         apps, tutoring apps, scripts; a few behind the same proxy exits
ratelimit_evasion        (policy) one startup's product traffic spread over several orgs paid
                         by one card, bursts, 429s — evasion, not distillation
=======================  =====================================================================
"""

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
