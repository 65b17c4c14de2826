"""Hard negatives and the background: legitimate traffic that resembles distillation."""

from __future__ import annotations

import numpy as np

from ircli.world.accounts import Block
from ircli.world.attacks import SHARD
from ircli.world.traffic import Behaviour
from ircli.world.world import World

_MIXED = (
    ("chat", 0.3, 0), ("cot_explain", 0.15, 0), ("code_help", 0.15, 0), ("coding_agent", 0.1, 0),
    ("chat_intl", 0.1, 0), ("support", 0.1, 0), ("research", 0.1, 0),
)  # fmt: skip


def _org_sizes(w: World, n: int, lo: int, hi: int) -> np.ndarray:
    """Organisation number of each of ``n`` accounts, grouped in orgs of lo..hi-1 accounts."""
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(int(w.rng.integers(lo, hi)))
    return np.repeat(w.roster.new_orgs(len(sizes)), sizes)[:n]


def _business(
    w: World,
    n: int,
    orgs: np.ndarray,
    *,
    kind: str,
    flags: list[str],
    tiers: dict[str, float],
    signup: dict[str, float],
    age: tuple[float, float],
    p_kyb: float = 1.0,
) -> tuple[Block, dict[int, tuple[int, int]], dict[int, str]]:
    """Accounts of verified businesses: one domain, one card and one site per org."""
    b = Block.empty(n)
    uniq = sorted(set(orgs.tolist()))
    domain = {o: w.company_domain() for o in uniq}
    card = dict(zip(uniq, w.payments(len(uniq)), strict=True))
    bins = dict(zip(uniq, w.card_bin(len(uniq)), strict=True))
    country = dict(zip(uniq, w.countries(len(uniq)), strict=True))
    site = {o: w.site(kind, int(w.rng.integers(2, 6)), country[o]) for o in uniq}
    kyb = {o: bool(w.rng.random() < p_kyb) for o in uniq}
    ol = [int(o) for o in orgs]
    b.set(
        org=ol,
        created_at=w.created_days_ago(w.rng.uniform(*age, n)),
        email_domain=[domain[o] for o in ol],
        signup_path=w.choice(signup, n),
        signup_ip=[w.ip(site[o][0]) for o in ol],
        payment_fingerprint=[card[o] for o in ol],
        card_bin=[bins[o] for o in ol],
        billing_country=[country[o] for o in ol],
        tier=w.choice(tiers, n),
        kyb_verified=[kyb[o] for o in ol],
        contract_flags=[list(flags) for _ in ol],
        tz=w.tz([country[o] for o in ol]),
        addr_lo=[site[o][0] for o in ol],
        addr_n=[site[o][1] for o in ol],
    )
    return b, site, domain


def enterprise_etl(w: World, n: int, campaign: str | None = None) -> None:
    """Nightly batch document extraction by a verified enterprise: huge, regular, benign."""
    orgs = _org_sizes(w, n, 3, 10)
    b, _, domain = _business(
        w,
        n,
        orgs,
        kind="hosting",
        flags=[],
        tiers={"enterprise": 0.7, "tier4": 0.3},
        signup={"standard": 1.0},
        age=(200, 1200),
    )
    sysp = {o: w.system_prompt(f"You are a data extraction engine for {d}. Respond with JSON only.")
            for o, d in domain.items()}  # fmt: skip
    zdr = {o: bool(w.rng.random() < 0.5) for o in domain}
    ua = {o: int(w.user_agent(1)[0]) for o in domain}
    b.set(
        rate=w.rng.lognormal(np.log(120), 0.5, n),
        ua=[ua[int(o)] for o in orgs],
        sys=[sysp[int(o)] for o in orgs],
        key_n=w.rng.integers(3, 9, n),
        switch_us=w.adopt(n, 0.3, 10.0),
        zdr=[zdr[int(o)] for o in orgs],
    )
    w.add("enterprise_etl", None, Behaviour(
        families=(("etl_extract", 1.0, 0),), schedule="nightly", weekend=1.0, p_lite=0.6,
        p_new=1.0, extra_in=(700, 0.4), out=(140, 0.5), p_think=0.0, p_single=1.0,
        endpoints=(("batch", 0.85), ("messages", 0.15)),
    ), b)  # fmt: skip


def eval_lab(w: World, n: int, campaign: str | None = None) -> None:
    """An evaluation partner running public benchmarks; it pivots to every new model at once."""
    orgs = _org_sizes(w, n, 2, 6)
    b, _, _ = _business(
        w,
        n,
        orgs,
        kind="business",
        flags=["eval_partner"],
        tiers={"tier4": 0.5, "enterprise": 0.5},
        signup={"security_research": 0.4, "standard": 0.6},
        age=(100, 800),
    )
    b.set(
        rate=w.rng.lognormal(np.log(60), 0.6, n),
        ua=w.user_agent(n),
        sys=np.where(w.rng.random(n) < 0.5, w.system_prompt("You are a helpful assistant."), -1),
        key_n=w.rng.integers(1, 4, n),
        switch_us=w.pivot(n, 0.5, 18.0),
    )
    w.add("eval_lab", None, Behaviour(
        families=(("benchmark", 0.85, 6000), ("reasoning", 0.15, 20000)),
        schedule="burst", weekend=0.7, p_lite=0.4, p_new=0.9, extra_in=(30, 0.5),
        out=(350, 1.0), p_think=0.4, p_single=0.98, max_turns=2,
        endpoints=(("messages", 0.6), ("batch", 0.4)),
    ), b)  # fmt: skip


def synthetic_contract(w: World, n: int, campaign: str | None = None) -> None:
    """Contracted synthetic-data generation: the same prompts as a harvest, under contract."""
    orgs = _org_sizes(w, n, 2, 7)
    b, _, _ = _business(
        w,
        n,
        orgs,
        kind="hosting",
        flags=["synthetic_data_ok"],
        tiers={"tier4": 0.4, "enterprise": 0.6},
        signup={"standard": 0.6, "startup": 0.4},
        age=(60, 600),
    )
    tutor = w.system_prompt("You are an expert tutor. Always show complete reasoning.")
    b.set(
        rate=w.rng.lognormal(np.log(90), 0.4, n),
        ua=w.user_agent(n),
        sys=np.where(w.rng.random(n) < 0.7, tutor, -1),
        key_n=w.rng.integers(1, 5, n),
        switch_us=w.adopt(n, 0.6, 2.0),
        shard_lo=(int(w.rng.integers(1, 2**20)) << 36) + np.arange(n) * SHARD,
        shard_len=SHARD,
    )
    w.add("synthetic_contract", None, Behaviour(
        families=(("cot_explain", 0.8, 0), ("curriculum", 0.2, 0)), walk=True,
        schedule="flat", weekend=1.0, p_lite=0.2, p_new=0.9, extra_in=(40, 0.5),
        out=(1300, 0.5), p_think=0.55, think=(2600, 0.6), p_single=0.97, max_turns=3,
        endpoints=(("batch", 0.5), ("messages", 0.5)),
    ), b)  # fmt: skip


def campus_nat(w: World, n: int, campaign: str | None = None) -> None:
    """Researchers and students behind one campus NAT: many accounts, one address."""
    b = Block.empty(n)
    country = w.countries(1)[0]
    uni = w.company_domain().replace(".example", "-university.example")
    nat_lo, nat_n = w.site("edu", int(w.rng.integers(1, 3)), country)
    nat_ips = w.internet.book.ip[nat_lo : nat_lo + nat_n]
    asn = w.internet.book.asn[nat_lo]
    lo = np.zeros(n, dtype=np.int64)
    cnt = np.zeros(n, dtype=np.int64)
    for i in range(n):
        # Mostly on campus (the NAT, listed thrice for weight), sometimes from home.
        lo[i], k = w.internet.book.extend(nat_ips * 3, asn, "edu", country)
        cnt[i] = k + (w.home(country, 1, 0.5)[1] if w.rng.random() < 0.5 else 0)
    paid = w.rng.random(n) < 0.5
    b.set(
        org=[int(o) for o in w.roster.new_orgs(n)],
        created_at=w.created_days_ago(w.rng.lognormal(np.log(150), 1.0, n)),
        email_domain=w.emails(n, 0.2, [uni]),
        signup_path=w.choice({"education": 0.6, "standard": 0.3, "security_research": 0.1}, n),
        signup_ip=[nat_ips[0]] * n,
        payment_fingerprint=[p if ok else None for p, ok in zip(w.payments(n), paid, strict=True)],
        card_bin=[c if ok else None for c, ok in zip(w.card_bin(n), paid, strict=True)],
        billing_country=[country] * n,
        tier=w.choice({"free": 0.5, "tier1": 0.45, "tier2": 0.05}, n),
        kyb_verified=False,
        contract_flags=[[] for _ in range(n)],
        rate=w.rng.lognormal(np.log(9), 0.9, n),
        tz=w.tz([country] * n),
        ua=w.user_agent(n),
        addr_lo=lo,
        addr_n=cnt,
        switch_us=w.adopt(n, 0.7, 1.5),
    )
    w.add("campus_nat", None, Behaviour(
        families=(("research", 0.55, 0), ("cot_explain", 0.15, 0), ("code_help", 0.15, 0),
                  ("chat", 0.15, 0)),
        schedule="human", out=(700, 0.8), p_think=0.3, p_single=0.6,
    ), b, spread=0.6)  # fmt: skip


def oss_agent(w: World, n: int, campaign: str | None = None) -> None:
    """Independent developers all running one popular open-source agent (one system prompt)."""
    b = _people(w, n, p_free=0.5, signup={"standard": 0.6, "trial": 0.25, "startup": 0.15})
    b.set(
        rate=w.rng.lognormal(np.log(16), 0.8, n),
        ua=w.oss_agent(n),
        sys=w.oss_prompt,
        tools=w.oss_tools,
        switch_us=w.adopt(n, 0.6, 1.0),  # the agent's default model follows releases
    )
    w.add("oss_agent", None, Behaviour(
        families=(("coding_agent", 0.85, 0), ("code_help", 0.15, 0)), schedule="human",
        p_lite=0.2, p_new=0.9, extra_in=(6000, 0.8), out=(800, 0.7), p_think=0.3,
        p_single=0.15, max_turns=30, p_tool=0.6,
    ), b, spread=0.6)  # fmt: skip


def reseller(w: World, n: int, campaign: str | None = None) -> None:
    """A contracted reseller: heterogeneous traffic, every request names its end user."""
    orgs = _org_sizes(w, n, 2, 5)
    b, _, _ = _business(
        w,
        n,
        orgs,
        kind="hosting",
        flags=["reseller"],
        tiers={"enterprise": 1.0},
        signup={"standard": 0.7, "startup": 0.3},
        age=(150, 900),
    )
    b.set(
        rate=w.rng.lognormal(np.log(220), 0.5, n),
        ua=w.user_agent(n),
        key_n=w.rng.integers(2, 6, n),
        eu_n=w.rng.integers(300, 3000, n),
        switch_us=w.adopt(n, 0.9, 1.0),
        zdr=w.rng.random(n) < 0.3,
    )
    w.add("reseller", None, Behaviour(
        families=_MIXED, schedule="flat", weekend=0.85, p_lite=0.35, p_new=0.8,
        extra_in=(400, 1.2), out=(600, 1.0), p_think=0.25, p_single=0.7, p_end_user=0.97,
        endpoints=(("reseller", 0.7), ("messages", 0.3)),
    ), b)  # fmt: skip


def ratelimit_evasion(w: World, n: int, campaign: str | None = None) -> None:
    """One startup spreading product traffic over several orgs to dodge rate limits (policy)."""
    b = Block.empty(n)
    country = w.countries(1)[0]
    office = w.site("business", int(w.rng.integers(2, 4)), country)
    domain = w.company_domain()
    card = w.payments(1)[0]
    b.set(
        org=[int(o) for o in w.roster.new_orgs(n)],
        created_at=w.created_days_ago(w.rng.uniform(-2, 40, n)),
        email_domain=w.emails(n, 0.5, [domain]),
        signup_path=w.choice({"standard": 0.6, "startup": 0.4}, n),
        signup_ip=[w.ip(office[0])] * n,
        payment_fingerprint=[card] * n,
        card_bin=w.card_bin(1) * n,
        billing_country=[country] * n,
        tier=w.choice({"tier1": 0.8, "free": 0.2}, n),
        kyb_verified=False,
        contract_flags=[[] for _ in range(n)],
        rate=w.rng.lognormal(np.log(150), 0.4, n),
        tz=w.tz([country] * n),
        ua=int(w.user_agent(1)[0]),
        sys=w.system_prompt(
            f"You are a customer support agent for {domain}. Be concise and polite."
        ),
        addr_lo=office[0],
        addr_n=office[1],
        switch_us=w.adopt(n, 0.2, 5.0),
    )
    w.add("ratelimit_evasion", None, Behaviour(
        families=(("support", 0.7, 0), ("chat", 0.3, 0)), schedule="burst", weekend=0.6,
        p_lite=0.7, extra_in=(120, 0.5), out=(220, 0.7), p_think=0.0, p_single=0.9,
        p_limited=0.12,
    ), b)  # fmt: skip


def _people(w: World, n: int, *, p_free: float, signup: dict[str, float]) -> Block:
    """Individual customers: own org, home addresses, ordinary sign-up mix."""
    b = Block.empty(n)
    countries = w.countries(n)
    homes = [w.home(c) for c in countries]
    # A few privacy-minded users come through the same proxy exits attackers rent.
    proxied = w.rng.random(n) < 0.04
    plo, pn = w.proxy
    paid = w.rng.random(n) < 0.8
    # Ages spread from days to years; about one in eight signs up during the window.
    age = np.minimum(w.rng.lognormal(np.log(120), 1.3, n), 1500)
    age = np.where(w.rng.random(n) < 0.12, -w.days * w.rng.random(n), age)
    b.set(
        org=[int(o) for o in w.roster.new_orgs(n)],
        created_at=w.created_days_ago(age),
        start=np.maximum(-age, 0),
        email_domain=w.emails(n, p_free),
        signup_path=w.choice(signup, n),
        signup_ip=[w.ip(h[0]) for h in homes],
        payment_fingerprint=[p if ok else None for p, ok in zip(w.payments(n), paid, strict=True)],
        card_bin=[c if ok else None for c, ok in zip(w.card_bin(n), paid, strict=True)],
        billing_country=countries,
        tier=w.choice({"free": 0.3, "tier1": 0.45, "tier2": 0.15, "tier3": 0.07, "tier4": 0.03}, n),
        kyb_verified=False,
        contract_flags=[[] for _ in range(n)],
        tz=w.tz(countries),
        ua=w.user_agent(n),
        addr_lo=[plo if p else h[0] for h, p in zip(homes, proxied, strict=True)],
        addr_n=[pn if p else h[1] for h, p in zip(homes, proxied, strict=True)],
        zdr=w.rng.random(n) < 0.08,
    )
    return b


# Persona: (share of customers, median requests per day, behaviour).
_PERSONAS: dict[str, tuple[float, float, Behaviour]] = {
    "chat": (0.24, 4, Behaviour(families=(("chat", 0.9, 0), ("chat_intl", 0.1, 0)), out=(300, 0.8))),
    "coder": (0.2, 7, Behaviour(
        families=(("code_help", 0.8, 0), ("chat", 0.2, 0)), out=(700, 0.8), extra_in=(500, 1.2),
        p_single=0.4)),
    "writer": (0.1, 5, Behaviour(families=(("chat", 1.0, 0),), out=(1400, 0.6), p_single=0.5)),
    "student": (0.15, 8, Behaviour(
        families=(("cot_explain", 0.35, 0), ("reasoning", 0.35, 0), ("chat", 0.3, 0)),
        extra_in=(25, 0.8), out=(1100, 0.6), p_think=0.4, p_single=0.9)),
    "analyst": (0.08, 6, Behaviour(
        families=(("research", 0.6, 0), ("chat", 0.4, 0)), extra_in=(4000, 1.0), out=(600, 0.8))),
    "intl": (0.1, 4, Behaviour(
        families=(("chat_intl", 0.7, 0), ("chat", 0.3, 0)), out=(450, 0.8))),
    "app": (0.07, 20, Behaviour(
        families=(("support", 0.6, 0), ("chat", 0.4, 0)), schedule="flat", weekend=0.8,
        out=(250, 0.7), extra_in=(300, 0.6), p_single=0.9, p_end_user=0.5)),
    # Homework-help and tutoring apps: step-by-step explanations for their own users.
    "tutor_app": (0.04, 45, Behaviour(
        families=(("cot_explain", 0.6, 0), ("reasoning", 0.4, 0)), schedule="flat", weekend=0.8,
        extra_in=(40, 0.6), out=(1200, 0.5), p_think=0.3, p_single=0.95, p_end_user=0.6)),
    # A developer's script classifying or extracting short texts, single-turn, all day.
    "script": (0.06, 25, Behaviour(
        families=(("support", 0.4, 0), ("etl_extract", 0.3, 0), ("chat", 0.3, 0)),
        schedule="flat", weekend=0.9, extra_in=(30, 0.6), out=(180, 0.7), p_single=1.0)),
}  # fmt: skip


def background(w: World, n: int, campaign: str | None = None) -> None:
    """Ordinary customers in several personas (chat, coding, writing, study, apps…)."""
    names = list(_PERSONAS)
    share = np.array([_PERSONAS[k][0] for k in names])
    counts = w.rng.multinomial(n, share / share.sum())
    for name, k in zip(names, counts, strict=True):
        if k == 0:
            continue
        b = _people(w, int(k), p_free=0.6, signup={
            "standard": 0.55, "trial": 0.3, "startup": 0.07, "education": 0.06,
            "security_research": 0.02})  # fmt: skip
        b.set(
            rate=w.rng.lognormal(np.log(_PERSONAS[name][1]), 1.1, int(k)),
            switch_us=w.adopt(int(k), 0.5, 4.0),
            eu_n=w.rng.integers(20, 400, int(k)) if name in ("app", "tutor_app") else 0,
        )
        w.add("background", None, _PERSONAS[name][2], b, spread=0.6)
