"""World sizes: named presets, plus scaling and per-archetype overrides for any other mix."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from ircli.world.archetypes import ARCHETYPES


@dataclass(frozen=True)
class WorldSpec:
    """What to generate: window length, accounts per archetype and how they split."""

    days: int
    accounts: dict[str, int]
    groups: dict[str, int] = field(default_factory=dict)  # campaigns / orgs / campuses
    proxy_exits: int = 5000

    def scaled(self, factor: float) -> WorldSpec:
        """The same mix with ``factor`` times the accounts (each present archetype keeps ≥ 1)."""
        if factor <= 0:
            raise ValueError("scale must be positive")
        accounts = {k: max(1, math.ceil(v * factor)) if v else 0 for k, v in self.accounts.items()}
        groups = {
            k: max(1, min(accounts[k], math.ceil(v * factor))) for k, v in self.groups.items()
        }
        return replace(self, accounts=accounts, groups=groups,
                       proxy_exits=max(500, math.ceil(self.proxy_exits * factor)))  # fmt: skip

    def with_accounts(self, overrides: dict[str, int]) -> WorldSpec:
        """The same spec with some archetypes' account counts replaced."""
        unknown = sorted(set(overrides) - set(ARCHETYPES))
        if unknown:
            raise KeyError(", ".join(unknown))
        accounts = {**self.accounts, **overrides}
        groups = {k: min(v, max(accounts.get(k, 0), 1)) for k, v in self.groups.items()}
        return replace(self, accounts=accounts, groups=groups)

    @property
    def n_accounts(self) -> int:
        """Total accounts."""
        return sum(self.accounts.values())


_TINY = WorldSpec(
    days=5,
    accounts={
        "hydra_cot": 40, "agentic_pivot": 6, "sharded_slow": 12, "rubric_farming": 10,
        "relay_laundering": 2, "multilingual_coercion": 12,
        "enterprise_etl": 3, "eval_lab": 4, "synthetic_contract": 4, "campus_nat": 24,
        "oss_agent": 30, "reseller": 2, "background": 300, "ratelimit_evasion": 3,
    },
    proxy_exits=2000,
)  # fmt: skip

PRESETS: dict[str, WorldSpec] = {
    "tiny": _TINY,
    "small": replace(
        _TINY.scaled(3),
        days=12,
        groups={"hydra_cot": 2, "campus_nat": 2},
    ),
    "medium": replace(
        _TINY.scaled(11),
        days=21,
        groups={"hydra_cot": 3, "sharded_slow": 2, "campus_nat": 4, "relay_laundering": 2},
    ),
    # Public figures of a real campaign: ~16M exchanges through ~24k fraudulent accounts
    # from three operators, plus the lab's ordinary traffic around it.
    "incident": WorldSpec(
        days=30,
        accounts={
            "hydra_cot": 17000, "agentic_pivot": 1500, "sharded_slow": 2000,
            "rubric_farming": 2000, "relay_laundering": 300, "multilingual_coercion": 1200,
            "enterprise_etl": 200, "eval_lab": 60, "synthetic_contract": 80, "campus_nat": 800,
            "oss_agent": 2000, "reseller": 30, "background": 15000, "ratelimit_evasion": 40,
        },
        groups={
            "hydra_cot": 3, "agentic_pivot": 2, "sharded_slow": 2, "rubric_farming": 2,
            "multilingual_coercion": 2, "campus_nat": 12, "ratelimit_evasion": 4,
        },
        proxy_exits=60000,
    ),
}  # fmt: skip


def preset(name: str) -> WorldSpec:
    """The named preset."""
    return PRESETS[name]
