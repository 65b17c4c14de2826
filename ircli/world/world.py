"""The world being built: window, releases, shared pools, the roster and its cohorts.

Archetype builders (``attacks.py``, ``negatives.py``) call the helpers here to draw
account attributes from distributions *shared* by attackers and legitimate customers
(countries, user agents, e-mail providers, card BINs), so that only the designed
signals — not incidental fields — tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from ircli.world.accounts import Block, Roster, random_ids
from ircli.world.network import TZ, Internet, country_codes, country_weights
from ircli.world.prompts import prompt_hash

if TYPE_CHECKING:
    import pyarrow as pa

    from ircli.world.traffic import Behaviour

DAY_US = 86_400_000_000
MODELS = ("orion-2", "orion-2-lite", "orion-3", "orion-3-lite")

FREEMAIL = (
    ("mail.example", 30), ("inbox.example", 18), ("post.example", 12), ("webmail.example", 8),
    ("fastpost.example", 6), ("mymail.example", 5), ("letterbox.example", 4),
    ("quickmail.example", 3), ("proton-like.example", 3), ("ymail.example", 2),
)  # fmt: skip

_ADJ = ("blue", "north", "bright", "swift", "quiet", "iron", "silver", "green", "red", "open",
        "deep", "clear", "prime", "lucky", "bold", "vast", "true", "kind", "sharp", "calm")  # fmt: skip
_NOUN = ("river", "forge", "data", "bridge", "leaf", "stone", "harbor", "signal", "pixel",
         "cloud", "orbit", "field", "craft", "nest", "wave", "peak", "grid", "lane", "mint")  # fmt: skip
_SUFFIX = ("", "hq", "labs", "tech", "io", "co", "group", "ai", "studio", "works", "net")

SDK_AGENTS = (
    ("orion-sdk-python/1.8.2", 22), ("orion-sdk-python/1.9.0", 18),
    ("orion-sdk-typescript/1.4.1", 14), ("python-httpx/0.27.2", 8),
    ("python-requests/2.32.3", 8), ("curl/8.5.0", 4), ("Go-http-client/2.0", 5),
    ("okhttp/4.12.0", 3), ("node-fetch/3.3.2", 4), ("axios/1.7.7", 4),
    ("langchain-python/0.2.16", 5), ("llamaindex/0.11.2", 2), ("aiohttp/3.10.5", 2),
    ("Java-http-client/21.0.4", 2),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Safari/605.1.15", 2),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36", 3),
)  # fmt: skip
OSS_AGENTS = ("opencodr/0.9.4 (node 20.11; linux x64)", "opencodr/0.9.4 (node 20.11; darwin arm64)",
              "opencodr/0.9.3 (node 18.19; linux x64)", "opencodr/0.10.0 (node 22.2; win32 x64)")  # fmt: skip
OSS_SYSTEM_PROMPT = (
    "You are opencodr, an open-source coding agent. You have tools to read files, edit files, "
    "run shell commands and search the repository. Think before acting; keep diffs minimal."
)
OSS_TOOLS = "read_file,write_file,run_shell,grep,list_dir,apply_patch"
CARD_BINS = tuple(f"{4 if i % 3 else 5}{v:05d}" for i, v in enumerate(range(10313, 99999, 2111)))


@dataclass(frozen=True)
class Cohort:
    """A group of accounts sharing one behaviour (one archetype instance)."""

    archetype: str
    campaign: str | None
    behaviour: Behaviour
    lo: int
    hi: int


@dataclass
class Pools:
    """Arrow arrays the traffic generator takes from by index."""

    account_id: pa.Array
    org_of_account: pa.Array
    key_id: pa.Array
    ip: pa.Array
    asn: pa.Array
    asn_type: pa.Array
    country: pa.Array
    user_agent: pa.Array
    model: pa.Array
    system_prompt: pa.Array
    tools: pa.Array
    end_user_id: pa.Array


class World:
    """A world under construction, then (after :meth:`finish`) ready to emit traffic."""

    pools: Pools
    account_ids: np.ndarray
    org_ids: np.ndarray

    def __init__(
        self, seed: int, days: int, proxy_exits: int, start: datetime | None = None
    ) -> None:
        self.seed = seed
        self.days = days
        self.rng = np.random.default_rng([seed, 0])
        start = start or datetime(2026, 3, 2, tzinfo=UTC)
        self.t0_us = int(start.timestamp() * 1_000_000)
        self.start_weekday = start.weekday()
        # The new model lands mid-window, mid-afternoon UTC.
        self.release_us = self.t0_us + (days // 2) * DAY_US + 15 * 3_600_000_000
        self.internet = Internet(self.rng)
        self.proxy = self.internet.proxy_pool(proxy_exits)
        self.roster = Roster()
        self.cohorts: list[Cohort] = []
        self.user_agents: list[str] = [ua for ua, _ in SDK_AGENTS] + list(OSS_AGENTS)
        self.system_prompts: list[str] = []
        self.tools: list[str] = []
        self.oss_prompt = self.system_prompt(OSS_SYSTEM_PROMPT)
        self.oss_tools = self.tool_set(OSS_TOOLS)
        self.n_payment = 0
        self.knobs: dict[str, np.ndarray] = {}
        self.cursor = np.zeros(0, dtype=np.int64)

    # -- registries -----------------------------------------------------------------
    def add(
        self,
        archetype: str,
        campaign: str | None,
        behaviour: Behaviour,
        block: Block,
        spread: float = 0.3,
    ) -> None:
        """Add a cohort of accounts; ``spread`` is how much accounts differ in token sizes."""
        n = block.n
        if (block.knobs["in_scale"] == 1.0).all():
            block.set(in_scale=self.rng.lognormal(0, spread * 1.5, n),
                      out_scale=self.rng.lognormal(0, spread, n))  # fmt: skip
        # Nobody sends a request before their account exists.
        created = np.array(block.table["created_at"], dtype=np.int64)
        born = (created - self.t0_us) / DAY_US
        block.set(start=np.maximum(block.knobs["start"], born))
        lo, hi = self.roster.add(block)
        self.cohorts.append(Cohort(archetype, campaign, behaviour, lo, hi))

    def tooling(self, behaviour: Behaviour) -> Behaviour:
        """A campaign's own variant of a behaviour: operators' tooling differs in context
        (few-shot examples, long system prompts) and in the answer length they ask for."""
        from dataclasses import replace

        ctx = float(self.rng.lognormal(0, 1.0))
        ans = float(self.rng.lognormal(0, 0.35))
        return replace(
            behaviour,
            extra_in=(behaviour.extra_in[0] * ctx, behaviour.extra_in[1]),
            out=(behaviour.out[0] * ans, behaviour.out[1]),
        )

    def system_prompt(self, text: str) -> int:
        """Index of a system prompt (its hash is what the logs carry)."""
        if text not in self.system_prompts:
            self.system_prompts.append(text)
        return self.system_prompts.index(text)

    def tool_set(self, text: str) -> int:
        """Index of a tools definition."""
        if text not in self.tools:
            self.tools.append(text)
        return self.tools.index(text)

    # -- shared distributions ------------------------------------------------------
    def countries(self, n: int) -> list[str]:
        """Countries drawn from the world's population weights."""
        codes = country_codes()
        return [codes[i] for i in self.rng.choice(len(codes), size=n, p=country_weights())]

    def choice(self, options: dict[str, float], n: int) -> list[str]:
        """``n`` draws from weighted options."""
        keys = list(options)
        w = np.array([options[k] for k in keys], dtype=float)
        return [keys[i] for i in self.rng.choice(len(keys), size=n, p=w / w.sum())]

    def freemail(self, n: int) -> list[str]:
        """Free e-mail provider domains, by popularity."""
        return self.choice(dict(FREEMAIL), n)

    def company_domain(self) -> str:
        """A made-up company or institution domain under ``.example``."""
        a, b = self.rng.integers(len(_ADJ)), self.rng.integers(len(_NOUN))
        s = _SUFFIX[int(self.rng.integers(len(_SUFFIX)))]
        sep = "-" if self.rng.random() < 0.3 else ""
        return f"{_ADJ[a]}{sep}{_NOUN[b]}{s}.example"

    def emails(self, n: int, p_free: float, own: list[str] | None = None) -> list[str]:
        """E-mail domains: free providers with probability ``p_free``, else ``own``/new ones."""
        free = self.freemail(n)
        out = []
        for i in range(n):
            if self.rng.random() < p_free:
                out.append(free[i])
            elif own:
                out.append(own[int(self.rng.integers(len(own)))])
            else:
                out.append(self.company_domain())
        return out

    def user_agent(self, n: int) -> np.ndarray:
        """User-agent indices drawn from the popular-SDK distribution."""
        w = np.array([w for _, w in SDK_AGENTS], dtype=float)
        return self.rng.choice(len(SDK_AGENTS), size=n, p=w / w.sum())

    def oss_agent(self, n: int) -> np.ndarray:
        """User-agent indices of the popular open-source agent (various versions)."""
        return len(SDK_AGENTS) + self.rng.choice(len(OSS_AGENTS), size=n, p=[0.5, 0.25, 0.15, 0.1])

    def payments(self, n: int) -> list[str]:
        """``n`` fresh payment fingerprints."""
        self.n_payment += n
        return random_ids(self.rng, "pf_", n, 20)

    def card_bin(self, n: int) -> list[str]:
        """Card BINs (the same pool for everyone)."""
        return [CARD_BINS[i] for i in self.rng.integers(0, len(CARD_BINS), n)]

    def created_days_ago(self, days_ago: np.ndarray) -> list[int]:
        """Account creation timestamps (µs) ``days_ago`` before the window start."""
        return [int(self.t0_us - d * DAY_US) for d in days_ago]

    def home(self, country: str, n_addr: int = 2, p_mobile: float = 0.35) -> tuple[int, int]:
        """A person's addresses: a home ISP line and, often, a phone; returns (lo, n)."""
        lo, k = self.internet.allocate("isp", n_addr, country=country)
        if self.rng.random() < p_mobile:
            self.internet.allocate("mobile", 1, country=country)
            k += 1
        return lo, k

    def site(self, kind: str, n_addr: int, country: str | None = None) -> tuple[int, int]:
        """A site's addresses (office, data centre, campus) in one ASN; returns (lo, n)."""
        return self.internet.allocate(kind, n_addr, country=country)

    def ip(self, index: int) -> str:
        """The address at ``index`` of the address book."""
        return self.internet.book.ip[index]

    def tz(self, countries: list[str]) -> np.ndarray:
        """Local-time offsets for countries."""
        return np.array([TZ.get(c, 0) for c in countries], dtype=np.int64)

    def adopt(self, n: int, share: float, mean_days: float) -> np.ndarray:
        """Model-switch times: ``share`` of accounts move ~exponential(mean) after release."""
        delay = self.rng.exponential(mean_days, n) * DAY_US
        never = self.rng.random(n) >= share
        return np.where(never, np.iinfo(np.int64).max, self.release_us + delay.astype(np.int64))

    def pivot(self, n: int, lo_h: float = 1.0, hi_h: float = 20.0) -> np.ndarray:
        """Model-switch times within hours of the release (the pivot archetypes)."""
        return self.release_us + (self.rng.uniform(lo_h, hi_h, n) * 3_600_000_000).astype(np.int64)

    # -- finishing -----------------------------------------------------------------
    def finish(self) -> Pools:
        """Draw identifiers and freeze the per-account knobs; returns the pools."""
        import pyarrow as pa

        r = self.roster
        n = r.size
        ids_rng = np.random.default_rng([self.seed, 2])
        self.knobs = {name: r.knob(name) for name in r.blocks[0].knobs}
        self.knobs["key_lo"] = np.cumsum(self.knobs["key_n"]) - self.knobs["key_n"]
        self.knobs["eu_lo"] = np.cumsum(self.knobs["eu_n"]) - self.knobs["eu_n"]
        self.cursor = np.zeros(n, dtype=np.int64)
        # Ids are drawn for a shuffled order so neither value nor position hints at a cohort.
        perm = ids_rng.permutation(n)
        account_ids = np.empty(n, dtype=object)
        account_ids[perm] = random_ids(ids_rng, "acct_", n, 16)
        org_ids = np.empty(r.n_orgs, dtype=object)
        org_ids[ids_rng.permutation(r.n_orgs)] = random_ids(ids_rng, "org_", r.n_orgs, 12)
        orgs = np.array(r.column("org"), dtype=np.int64)
        n_keys = int(self.knobs["key_n"].sum())
        keys = np.empty(n_keys, dtype=object)
        keys[ids_rng.permutation(n_keys)] = random_ids(ids_rng, "key_", n_keys, 18)
        n_eu = int(self.knobs["eu_n"].sum())
        book = self.internet.book
        self.account_ids = account_ids
        self.org_ids = org_ids[orgs]
        self.pools = Pools(
            account_id=pa.array(account_ids, pa.string()),
            org_of_account=pa.array(self.org_ids, pa.string()),
            key_id=pa.array(keys, pa.string()),
            ip=pa.array(book.ip, pa.string()),
            asn=pa.array(book.asn, pa.int64()),
            asn_type=pa.array(book.asn_type, pa.string()),
            country=pa.array(book.country, pa.string()),
            user_agent=pa.array(self.user_agents, pa.string()),
            model=pa.array(list(MODELS), pa.string()),
            system_prompt=pa.array([prompt_hash(t) for t in self.system_prompts] or [""]),
            tools=pa.array([prompt_hash(t) for t in self.tools] or [""]),
            end_user_id=pa.array(random_ids(ids_rng, "eu_", n_eu, 14) or [""], pa.string()),
        )
        return self.pools
