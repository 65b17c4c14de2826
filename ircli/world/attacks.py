"""The six distillation campaign archetypes of the synthetic world (all labelled attacks)."""

from __future__ import annotations

import numpy as np

from ircli.world.accounts import Block
from ircli.world.traffic import Behaviour
from ircli.world.world import World

SHARD = 10_000_000  # curriculum items reserved per account: shards never overlap


def _campaign_base(w: World) -> int:
    # Each campaign walks its own region of the index space.
    return int(w.rng.integers(1, 2**20)) << 36


def _own_orgs(w: World, n: int) -> list[int]:
    return [int(o) for o in w.roster.new_orgs(n)]


def _shared_payments(
    w: World, n: int, per_card: int, p_paid: float
) -> tuple[list[str | None], list[str | None]]:
    """Payment fingerprints shared by ~``per_card`` accounts across orgs, with their BINs."""
    cards = w.payments(max(1, n // per_card))
    bins = w.card_bin(len(cards))
    pick = w.rng.integers(0, len(cards), n)
    paid = w.rng.random(n) < p_paid
    pf = [cards[i] if ok else None for i, ok in zip(pick, paid, strict=True)]
    cb = [bins[i] if ok else None for i, ok in zip(pick, paid, strict=True)]
    return pf, cb


def _creation_batches(
    w: World, n: int, before: float, lo: int, hi: int, until: float = 0.8
) -> tuple[np.ndarray, np.ndarray]:
    """Accounts registered in batches (same hours, same sign-up exits); returns (day, batch).

    Batches are created from ``before`` days ahead of the window up to ``until`` of it.
    """
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(int(w.rng.integers(lo, hi)))
    batch_day = w.rng.uniform(-before, max(w.days * until, 1), len(sizes))
    batch = np.repeat(np.arange(len(sizes)), sizes)[:n]
    return batch_day[batch] + w.rng.uniform(0, 0.2, n), batch


def _signup_ips(w: World, batch: np.ndarray) -> list[str]:
    plo, pn = w.proxy
    exits = plo + w.rng.integers(0, pn, (int(batch.max()) + 1, 3))
    return [w.ip(int(exits[b, int(w.rng.integers(3))])) for b in batch]


def hydra(w: World, n: int, campaign: str) -> None:
    """CoT harvesting through many fresh trial accounts behind residential proxies."""
    b = Block.empty(n)
    created, batch = _creation_batches(w, n, 12, 5, 30, until=0.5)
    start = np.maximum(created + w.rng.uniform(0.1, 1.5, n), 0)
    pf, cb = _shared_payments(w, n, 8, 0.75)
    plo, pn = w.proxy
    rare = w.system_prompt(f"You are an expert tutor. Always show complete reasoning. [{campaign}]")
    b.set(
        org=_own_orgs(w, n),
        created_at=w.created_days_ago(-created),
        email_domain=w.emails(n, 0.6, [w.company_domain() for _ in range(4)]),
        signup_path=w.choice(
            {"trial": 0.5, "standard": 0.38, "education": 0.08, "startup": 0.04}, n
        ),
        signup_ip=_signup_ips(w, batch),
        payment_fingerprint=pf,
        card_bin=cb,
        billing_country=w.countries(n),
        tier=w.choice({"free": 0.45, "tier1": 0.5, "tier2": 0.05}, n),
        kyb_verified=False,
        contract_flags=[[] for _ in range(n)],
        rate=w.rng.lognormal(np.log(27), 0.45, n),
        start=start,
        end=start + 4 + w.rng.exponential(24, n),
        ua=w.user_agent(n),
        sys=np.where(w.rng.random(n) < 0.6, rare, -1),
        addr_lo=plo,
        addr_n=pn,
        switch_us=w.adopt(n, 0.5, 3.0),
        shard_lo=_campaign_base(w) + np.arange(n) * SHARD,
        shard_len=SHARD,
        zdr=w.rng.random(n) < 0.05,
    )
    w.add("hydra_cot", campaign, w.tooling(Behaviour(
        families=(("cot_explain", 0.85, 0), ("reasoning", 0.1, 0), ("chat", 0.05, 0)),
        walk=True, schedule="waves", weekend=1.0, p_lite=0.15, p_new=0.8,
        extra_in=(40, 0.5), out=(1300, 0.5), p_think=0.55, think=(2600, 0.6),
        p_single=0.97, max_turns=3,
    )), b)  # fmt: skip


def agentic_pivot(w: World, n: int, campaign: str) -> None:
    """Agentic-coding trajectory extraction with filler traffic; pivots on a new release."""
    b = Block.empty(n)
    org_size = w.rng.integers(2, 6, n)
    orgs = np.repeat(w.roster.new_orgs(n), org_size)[:n]
    n_org = int(orgs.max() - orgs.min() + 1)
    cards = w.payments(max(1, n_org // 2))  # a few cards pay for several "startups"
    card_of = {int(o): cards[i % len(cards)] for i, o in enumerate(sorted(set(orgs.tolist())))}
    domains = {o: w.company_domain() for o in card_of}
    country = w.countries(1)[0]
    cloud = [w.site("hosting", 4) for _ in range(3)]
    pick = w.rng.integers(0, len(cloud), n)
    camo = w.rng.random(n) < 0.4  # part of the fleet poses as the popular open-source agent
    rare = w.system_prompt(
        f"You are a senior software engineer agent. Solve the task fully. ({campaign})"
    )
    tools = w.tool_set(f"bash,edit,view,search,test_runner ({campaign})")
    bins = dict(zip(card_of.values(), w.card_bin(len(card_of)), strict=True))
    b.set(
        org=orgs.tolist(),
        created_at=w.created_days_ago(w.rng.uniform(20, 90, n)),
        email_domain=[domains[int(o)] if w.rng.random() < 0.6 else w.freemail(1)[0] for o in orgs],
        signup_path=w.choice({"startup": 0.5, "standard": 0.5}, n),
        signup_ip=[w.ip(cloud[p][0]) for p in pick],
        payment_fingerprint=[card_of[int(o)] for o in orgs],
        card_bin=[bins[card_of[int(o)]] for o in orgs],
        billing_country=[country] * n,
        tier=w.choice({"tier1": 0.5, "tier2": 0.4, "tier3": 0.1}, n),
        kyb_verified=False,
        contract_flags=[[] for _ in range(n)],
        rate=w.rng.lognormal(np.log(50), 0.4, n),
        tz=w.tz([country] * n),
        ua=np.where(camo, w.oss_agent(n), w.user_agent(n)),
        sys=np.where(camo, w.oss_prompt, rare),
        tools=np.where(camo, w.oss_tools, tools),
        addr_lo=[cloud[p][0] for p in pick],
        addr_n=[cloud[p][1] for p in pick],
        key_n=w.rng.integers(1, 4, n),
        switch_us=w.pivot(n),
        shard_lo=_campaign_base(w) + np.arange(n) * SHARD,
        shard_len=SHARD,
        zdr=w.rng.random(n) < 0.05,
    )
    w.add("agentic_pivot", campaign, w.tooling(Behaviour(
        families=(("coding_agent", 0.75, 0), ("chat", 0.15, 0), ("code_help", 0.1, 0)),
        walk=True, replay=0.6, schedule="human", weekend=0.9, p_lite=0.1, p_new=0.95,
        extra_in=(7000, 0.7), out=(900, 0.6), p_think=0.3, p_single=0.15, max_turns=40,
        p_tool=0.55,
    )), b)  # fmt: skip


def sharded_slow(w: World, n: int, campaign: str) -> None:
    """Slow-and-low extraction: aged accounts each walking a disjoint shard of one curriculum."""
    b = Block.empty(n)
    countries = w.countries(n)
    homes = [w.internet.allocate("isp", 2, country=c) for c in countries]
    b.set(
        org=_own_orgs(w, n),
        created_at=w.created_days_ago(w.rng.uniform(200, 900, n)),
        email_domain=w.emails(n, 0.55),
        signup_path=w.choice({"standard": 0.8, "startup": 0.1, "education": 0.1}, n),
        signup_ip=[w.ip(h[0] + 1) for h in homes],
        payment_fingerprint=w.payments(n),
        card_bin=w.card_bin(n),
        billing_country=countries,
        tier=w.choice({"tier1": 0.4, "tier2": 0.4, "tier3": 0.2}, n),
        kyb_verified=False,
        contract_flags=[[] for _ in range(n)],
        rate=w.rng.lognormal(np.log(7), 0.3, n),
        tz=w.tz(countries),
        ua=w.user_agent(n),
        addr_lo=[h[0] for h in homes],
        addr_n=[h[1] for h in homes],
        switch_us=w.adopt(n, 0.5, 2.0),
        shard_lo=_campaign_base(w) + np.arange(n) * SHARD,
        shard_len=SHARD,
        zdr=w.rng.random(n) < 0.05,
    )
    w.add("sharded_slow", campaign, w.tooling(Behaviour(
        families=(("curriculum", 0.9, 0), ("chat", 0.1, 0)),
        walk=True, schedule="human", weekend=0.5, p_lite=0.2,
        extra_in=(40, 0.5), out=(1800, 0.5), p_think=0.35, p_single=0.95, max_turns=4,
    )), b)  # fmt: skip


def rubric_farming(w: World, n: int, campaign: str) -> None:
    """Reward-model farming: judge and rubric-grading prompts at a machine cadence."""
    b = Block.empty(n)
    created, batch = _creation_batches(w, n, 30, 3, 15)
    start = np.maximum(created + w.rng.uniform(0.2, 2, n), 0)
    pf, cb = _shared_payments(w, n, 5, 0.85)
    plo, pn = w.proxy
    cloud = w.site("hosting", 6)
    proxied = w.rng.random(n) < 0.6
    b.set(
        org=_own_orgs(w, n),
        created_at=w.created_days_ago(-created),
        email_domain=w.emails(n, 0.8),
        signup_path=w.choice({"trial": 0.35, "standard": 0.6, "startup": 0.05}, n),
        signup_ip=_signup_ips(w, batch),
        payment_fingerprint=pf,
        card_bin=cb,
        billing_country=w.countries(n),
        tier=w.choice({"free": 0.2, "tier1": 0.7, "tier2": 0.1}, n),
        kyb_verified=False,
        contract_flags=[[] for _ in range(n)],
        rate=w.rng.lognormal(np.log(40), 0.4, n),
        start=start,
        end=start + 3 + w.rng.exponential(20, n),
        ua=w.user_agent(n),
        sys=w.system_prompt(f"You are a meticulous grader. Output valid JSON. <{campaign}>"),
        addr_lo=np.where(proxied, plo, cloud[0]),
        addr_n=np.where(proxied, pn, cloud[1]),
        switch_us=w.adopt(n, 0.3, 4.0),
        shard_lo=_campaign_base(w) + np.arange(n) * SHARD,
        shard_len=SHARD,
        zdr=w.rng.random(n) < 0.05,
    )
    w.add("rubric_farming", campaign, w.tooling(Behaviour(
        families=(("rubric_judge", 0.95, 0), ("chat", 0.05, 0)),
        walk=True, schedule="regular", weekend=1.0, p_lite=0.4,
        extra_in=(350, 0.4), out=(160, 0.6), p_think=0.05, p_single=0.99, max_turns=2,
    )), b)  # fmt: skip


def relay_laundering(w: World, n: int, campaign: str) -> None:
    """A relay reselling access without end-user ids: heterogeneous traffic, shared servers."""
    b = Block.empty(n)
    servers = w.site("hosting", int(w.rng.integers(3, 8)))
    pf, cb = _shared_payments(w, n, 3, 1.0)
    countries = w.countries(n)
    b.set(
        org=_own_orgs(w, n),
        created_at=w.created_days_ago(w.rng.uniform(10, 120, n)),
        email_domain=[w.company_domain() for _ in range(n)],
        signup_path=w.choice({"standard": 0.6, "startup": 0.4}, n),
        signup_ip=[w.ip(servers[0] + int(w.rng.integers(servers[1]))) for _ in range(n)],
        payment_fingerprint=pf,
        card_bin=cb,
        billing_country=countries,
        tier=w.choice({"tier2": 0.3, "tier3": 0.5, "tier4": 0.2}, n),
        kyb_verified=False,
        contract_flags=[[] for _ in range(n)],
        rate=w.rng.lognormal(np.log(200), 0.5, n),
        ua=w.user_agent(n),
        addr_lo=servers[0],
        addr_n=servers[1],
        key_n=w.rng.integers(2, 6, n),
        switch_us=w.adopt(n, 0.9, 0.5),
        zdr=w.rng.random(n) < 0.3,
    )
    w.add("relay_laundering", campaign, w.tooling(Behaviour(
        families=(("cot_explain", 0.35, 0), ("chat", 0.2, 0), ("coding_agent", 0.15, 0),
                  ("rubric_judge", 0.1, 0), ("chat_intl", 0.1, 0), ("code_help", 0.1, 0)),
        schedule="flat", weekend=0.8, p_lite=0.35, p_new=0.8,
        extra_in=(400, 1.2), out=(700, 1.0), p_think=0.3, p_single=0.7, max_turns=10,
    )), b)  # fmt: skip


def multilingual_coercion(w: World, n: int, campaign: str) -> None:
    """Reasoning-trace coercion: 'think in language X and write it all out', many languages."""
    b = Block.empty(n)
    created, batch = _creation_batches(w, n, 8, 4, 20)
    start = np.maximum(created + w.rng.uniform(0.1, 1, n), 0)
    pf, cb = _shared_payments(w, n, 6, 0.7)
    plo, pn = w.proxy
    b.set(
        org=_own_orgs(w, n),
        created_at=w.created_days_ago(-created),
        email_domain=w.emails(n, 0.85),
        signup_path=w.choice({"trial": 0.45, "standard": 0.4, "education": 0.15}, n),
        signup_ip=_signup_ips(w, batch),
        payment_fingerprint=pf,
        card_bin=cb,
        billing_country=w.countries(n),
        tier=w.choice({"free": 0.5, "tier1": 0.5}, n),
        kyb_verified=False,
        contract_flags=[[] for _ in range(n)],
        rate=w.rng.lognormal(np.log(24), 0.4, n),
        start=start,
        end=start + 2 + w.rng.exponential(12, n),
        ua=w.user_agent(n),
        addr_lo=plo,
        addr_n=pn,
        switch_us=w.adopt(n, 0.6, 1.5),
        shard_lo=_campaign_base(w) + np.arange(n) * SHARD,
        shard_len=SHARD,
        zdr=w.rng.random(n) < 0.05,
    )
    w.add("multilingual_coercion", campaign, w.tooling(Behaviour(
        families=(("coercion", 0.85, 0), ("cot_explain", 0.1, 0), ("chat_intl", 0.05, 0)),
        walk=True, schedule="waves", weekend=1.0, p_lite=0.2, p_new=0.8,
        extra_in=(40, 0.5), out=(1700, 0.5), p_think=0.75, think=(3000, 0.5), p_single=0.97,
        max_turns=3, p_refusal=0.04,
    )), b)  # fmt: skip
