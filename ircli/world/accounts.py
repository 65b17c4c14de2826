"""The roster: every account's table row plus the per-account knobs traffic reads.

Archetypes append :class:`Block`s of accounts; :meth:`Roster.finish` then draws every
identifier (account, org, key, end-user ids) from one random stream *after* the whole
population is known and in a shuffled order, so no id, and no row position, says which
archetype an account belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

NEVER = np.iinfo(np.int64).max  # a model switch that never happens

TABLE_COLUMNS = (
    "org",
    "created_at",
    "email_domain",
    "signup_path",
    "signup_ip",
    "payment_fingerprint",
    "card_bin",
    "billing_country",
    "tier",
    "kyb_verified",
    "contract_flags",
)

KNOB_DEFAULTS: dict[str, tuple[Any, type]] = {
    "rate": (1.0, np.float64),  # mean requests per active day
    "start": (0.0, np.float64),  # first active day (fractional, window-relative)
    "end": (1e9, np.float64),  # last active day
    "tz": (0, np.int64),  # local-time offset in hours
    "ua": (0, np.int64),  # user-agent index
    "sys": (-1, np.int64),  # system-prompt index or -1
    "tools": (-1, np.int64),  # tools-definition index or -1
    "addr_lo": (0, np.int64),  # address range in the address book
    "addr_n": (1, np.int64),
    "key_n": (1, np.int64),  # number of API keys
    "switch_us": (NEVER, np.int64),  # when the account moves to the newest model
    "shard_lo": (0, np.int64),  # curriculum shard (walking archetypes)
    "shard_len": (1, np.int64),
    "zdr": (False, np.bool_),  # zero data retention: prompt text not logged
    "eu_n": (0, np.int64),  # number of end users (multi-tenant clients)
    "in_scale": (1.0, np.float64),  # this account's typical context size, relative
    "out_scale": (1.0, np.float64),  # this account's typical answer length, relative
}


@dataclass
class Block:
    """A group of accounts built by one archetype (one cohort)."""

    n: int
    table: dict[str, list[Any]]
    knobs: dict[str, np.ndarray]

    @classmethod
    def empty(cls, n: int) -> Block:
        """A block of ``n`` accounts with default knobs and empty table columns."""
        knobs: dict[str, np.ndarray] = {
            k: np.full(n, v, dtype=t) for k, (v, t) in KNOB_DEFAULTS.items()
        }
        return cls(n, {c: [None] * n for c in TABLE_COLUMNS}, knobs)

    def set(self, **columns: Any) -> None:
        """Set table columns (lists or scalars) and knobs (arrays or scalars) by name."""
        for name, value in columns.items():
            if name in self.knobs:
                self.knobs[name] = np.broadcast_to(
                    np.asarray(value, dtype=self.knobs[name].dtype), (self.n,)
                ).copy()
            elif name in self.table:
                self.table[name] = (
                    list(value) if isinstance(value, list | np.ndarray) else [value] * self.n
                )
                if len(self.table[name]) != self.n:
                    raise ValueError(f"column {name}: {len(self.table[name])} values for {self.n}")
            else:
                raise KeyError(name)


@dataclass
class Roster:
    """All accounts of the world, in cohort order until :meth:`finish`."""

    blocks: list[Block] = field(default_factory=list)
    n_orgs: int = 0

    def new_orgs(self, n: int) -> np.ndarray:
        """Reserve ``n`` fresh organisation numbers."""
        out = np.arange(self.n_orgs, self.n_orgs + n)
        self.n_orgs += n
        return out

    def add(self, block: Block) -> tuple[int, int]:
        """Append a block; returns its account index range (lo, hi)."""
        lo = sum(b.n for b in self.blocks)
        self.blocks.append(block)
        return lo, lo + block.n

    @property
    def size(self) -> int:
        """Number of accounts."""
        return sum(b.n for b in self.blocks)

    def knob(self, name: str) -> np.ndarray:
        """One knob for every account, concatenated in cohort order."""
        return np.concatenate([b.knobs[name] for b in self.blocks])

    def column(self, name: str) -> list[Any]:
        """One table column for every account, in cohort order."""
        out: list[Any] = []
        for b in self.blocks:
            out.extend(b.table[name])
        return out


def random_ids(rng: np.random.Generator, prefix: str, n: int, length: int) -> list[str]:
    """``n`` distinct random identifiers like ``acct_k3v9…`` (lowercase base36)."""
    alphabet = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        need = n - len(out)
        raw = alphabet[rng.integers(0, 36, size=(need, length))]
        for row in raw.view(f"S{length}").ravel():
            s = prefix + row.decode()
            if s not in seen:
                seen.add(s)
                out.append(s)
    return out


def hex_ids(rng: np.random.Generator, prefix: str, n: int, length: int) -> np.ndarray:
    """``n`` random hex identifiers as a numpy bytes array (vectorised; for request ids)."""
    alphabet = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    pre = np.frombuffer(prefix.encode(), dtype=np.uint8)
    body = alphabet[rng.integers(0, 16, size=(n, length), dtype=np.uint8)]
    raw = np.concatenate([np.broadcast_to(pre, (n, len(pre))), body], axis=1)
    return np.ascontiguousarray(raw).view(f"S{len(pre) + length}").ravel()
