"""The world's internet: autonomous systems and addresses, all from reserved ranges.

Every address is in 10.0.0.0/8, 100.64.0.0/10 or 2001:db8::/32, every ASN is private
(64512–65534 or 4200000000–4294967294), so a generated world can never point at a real
network. Each ASN owns one /18 of IPv4 space and one /48 of IPv6 space.

Addresses live in one :class:`AddressBook` (parallel arrays: text, asn, asn type,
country); accounts and proxy pools refer to ranges of it by index, so a request's
network columns are a vectorised ``take``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ASN_KINDS = ("isp", "mobile", "hosting", "edu", "business", "vpn")

# Where users (and the exits attackers rent) are: weights shared by attack and benign
# populations, because billing and exit countries overlap in real incidents.
COUNTRIES = (
    ("US", 30), ("GB", 7), ("DE", 6), ("IN", 7), ("BR", 5), ("FR", 4), ("CA", 4),
    ("JP", 4), ("KR", 3), ("SG", 2), ("NL", 3), ("AU", 3), ("ES", 3), ("IT", 2),
    ("PL", 2), ("MX", 2), ("SE", 1), ("CH", 1), ("ID", 2), ("VN", 1), ("TR", 1),
    ("NG", 1), ("ZA", 1), ("AR", 1), ("HK", 2), ("TW", 1), ("IL", 1), ("UA", 1),
)  # fmt: skip

# Local-time offsets (hours) roughly matching each country, for diurnal patterns.
TZ = {
    "US": -6, "GB": 0, "DE": 1, "IN": 5, "BR": -3, "FR": 1, "CA": -5, "JP": 9, "KR": 9,
    "SG": 8, "NL": 1, "AU": 10, "ES": 1, "IT": 1, "PL": 1, "MX": -6, "SE": 1, "CH": 1,
    "ID": 7, "VN": 7, "TR": 3, "NG": 1, "ZA": 2, "AR": -3, "HK": 8, "TW": 8, "IL": 2,
    "UA": 2,
}  # fmt: skip

_N_ASNS = {"isp": 180, "mobile": 40, "hosting": 30, "edu": 24, "business": 60, "vpn": 12}


def country_codes() -> list[str]:
    """ISO codes of the world's countries, in a fixed order."""
    return [c for c, _ in COUNTRIES]


def country_weights() -> np.ndarray:
    """Probability of each country in :func:`country_codes` order."""
    w = np.array([w for _, w in COUNTRIES], dtype=float)
    return np.asarray(w / w.sum())


@dataclass
class AddressBook:
    """All addresses of the world, as parallel columns."""

    ip: list[str] = field(default_factory=list)
    asn: list[int] = field(default_factory=list)
    asn_type: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ip)

    def extend(self, ips: list[str], asn: int, asn_type: str, country: str) -> tuple[int, int]:
        """Append addresses of one ASN; returns their index range (lo, n)."""
        lo = len(self.ip)
        self.ip.extend(ips)
        self.asn.extend([asn] * len(ips))
        self.asn_type.extend([asn_type] * len(ips))
        self.country.extend([country] * len(ips))
        return lo, len(ips)


@dataclass(frozen=True)
class Asn:
    """One autonomous system: number, kind, country and its address blocks."""

    number: int
    kind: str
    country: str
    v4_base: int  # integer value of the /18 network address
    v6_prefix: str  # e.g. "2001:db8:1a2b"


class Internet:
    """ASNs by kind and country, and a generator of host addresses inside them."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.book = AddressBook()
        self._used: set[str] = set()
        numbers = self._asn_numbers(sum(_N_ASNS.values()))
        blocks = self._v4_blocks(len(numbers))
        v6 = rng.choice(0x10000, size=len(numbers), replace=False)
        codes, weights = country_codes(), country_weights()
        self.asns: dict[str, list[Asn]] = {k: [] for k in ASN_KINDS}
        i = 0
        for kind, count in _N_ASNS.items():
            # Every country gets at least one ISP and mobile ASN; the rest follow population.
            for j in range(count):
                if kind in ("isp", "mobile") and j < len(codes):
                    country = codes[j]
                else:
                    country = codes[int(rng.choice(len(codes), p=weights))]
                self.asns[kind].append(
                    Asn(int(numbers[i]), kind, country, int(blocks[i]), f"2001:db8:{v6[i]:x}")
                )
                i += 1

    def _asn_numbers(self, n: int) -> np.ndarray:
        # Mix 16-bit and 32-bit private ASNs, as real registries do.
        small = self.rng.choice(np.arange(64512, 65535), size=n // 2, replace=False)
        large = 4200000000 + self.rng.choice(94967295, size=n - n // 2, replace=False)
        out = np.concatenate([small, large]).astype(np.int64)
        self.rng.shuffle(out)
        return out

    def _v4_blocks(self, n: int) -> np.ndarray:
        # /18 blocks: 1024 in 10.0.0.0/8 and 256 in 100.64.0.0/10.
        ten = (10 << 24) + (np.arange(1024, dtype=np.int64) << 14)
        cgnat = (100 << 24) + (64 << 16) + (np.arange(256, dtype=np.int64) << 14)
        pool = np.concatenate([ten, cgnat])
        return np.asarray(self.rng.choice(pool, size=n, replace=False), dtype=np.int64)

    def pick_asn(self, kind: str, country: str | None = None) -> Asn:
        """An ASN of ``kind``, in ``country`` when one exists there."""
        candidates = self.asns[kind]
        if country is not None:
            local = [a for a in candidates if a.country == country]
            candidates = local or candidates
        return candidates[int(self.rng.integers(len(candidates)))]

    def hosts(self, asn: Asn, n: int, v6_share: float = 0.0) -> list[str]:
        """``n`` distinct host addresses inside ``asn`` (some IPv6)."""
        out: list[str] = []
        while len(out) < n:
            if self.rng.random() < v6_share:
                groups = self.rng.integers(0, 0x10000, size=5)
                ip = f"{asn.v6_prefix}:{groups[0]:x}::{groups[1]:x}:{groups[2]:x}:{groups[3]:x}"
            else:
                host = int(self.rng.integers(1, (1 << 14) - 1))
                v = asn.v4_base + host
                if v & 0xFF in (0, 255):
                    continue
                ip = f"{v >> 24}.{(v >> 16) & 0xFF}.{(v >> 8) & 0xFF}.{v & 0xFF}"
            if ip in self._used:
                continue
            self._used.add(ip)
            out.append(ip)
        return out

    def allocate(
        self,
        kind: str,
        n: int,
        *,
        country: str | None = None,
        label: str | None = None,
        v6_share: float = 0.15,
    ) -> tuple[int, int]:
        """Add ``n`` addresses of one ASN of ``kind`` to the book; returns (lo, n).

        ``label`` overrides the ASN type reported for these addresses (IP-reputation
        feeds label residential-proxy exits ``resproxy`` although they sit in ISP ASNs).
        """
        asn = self.pick_asn(kind, country)
        return self.book.extend(
            self.hosts(asn, n, v6_share), asn.number, label or kind, asn.country
        )

    def proxy_pool(self, n: int, kinds: tuple[str, ...] = ("isp", "mobile")) -> tuple[int, int]:
        """A residential-proxy exit pool of ``n`` addresses spread over many ISP ASNs.

        Exits are contiguous in the book so a request can draw one with a single
        random offset; they come in small runs per ASN, like real proxy networks.
        """
        lo = len(self.book)
        codes, weights = country_codes(), country_weights()
        while len(self.book) - lo < n:
            country = codes[int(self.rng.choice(len(codes), p=weights))]
            kind = kinds[int(self.rng.integers(len(kinds)))]
            run = min(n - (len(self.book) - lo), int(self.rng.integers(3, 40)))
            # IP reputation catches most exits, not all: the rest look like plain ISP users.
            label = "resproxy" if self.rng.random() < 0.8 else None
            self.allocate(kind, run, country=country, label=label, v6_share=0.05)
        return lo, len(self.book) - lo
