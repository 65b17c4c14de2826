"""Hand-built worlds for the analysis tests: a few accounts, each shaped like one archetype.

Every builder appends canonical rows to a :class:`MiniWorld`; ``tables()`` returns pyarrow
tables in the canonical schema, so tests exercise the same SQL as real evidence.
"""

from __future__ import annotations

import hashlib
import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from ircli.evidence.schema import arrow_schema, field_names

T0 = datetime(2026, 2, 1, tzinfo=UTC)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class MiniWorld:
    """A tiny labelled world built request by request."""

    seed: int = 7
    requests: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    releases: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._n = 0

    def account(
        self, account_id: str, archetype: str, campaign: str | None = None, **kw: Any
    ) -> str:
        row = {
            "account_id": account_id,
            "org_id": kw.pop("org_id", f"org-{account_id}"),
            "created_at": kw.pop(
                "created_at",
                T0 - timedelta(days=self.rng.randint(30, 900), minutes=self.rng.randint(0, 1440)),
            ),
            "email_domain": kw.pop("email_domain", f"{account_id}.example"),
            "signup_path": kw.pop("signup_path", "standard"),
            "signup_ip": kw.pop(
                "signup_ip",
                f"10.{self.rng.randint(0, 255)}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}",
            ),
            "payment_fingerprint": kw.pop("payment_fingerprint", sha("pay" + account_id)[:16]),
            "card_bin": kw.pop("card_bin", "400000"),
            "billing_country": kw.pop("billing_country", "US"),
            "tier": kw.pop("tier", "tier2"),
            "kyb_verified": kw.pop("kyb_verified", False),
            "contract_flags": kw.pop("contract_flags", []),
        }
        assert not kw, kw
        self.accounts.append(row)
        self.labels[account_id] = (archetype, campaign)
        return account_id

    def request(self, account_id: str, ts: datetime, prompt: str | None, **kw: Any) -> None:
        self._n += 1
        text = prompt
        row = {
            "request_id": f"r{self._n}",
            "ts": ts,
            "account_id": account_id,
            "org_id": kw.pop("org_id", None),
            "api_key_id": None,
            "src_ip": kw.pop("src_ip", None)
            or f"10.{zlib.crc32(account_id.encode()) % 200}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}",
            "asn": kw.pop("asn", 64512),
            "asn_type": kw.pop("asn_type", "isp"),
            "country": kw.pop("country", "US"),
            "user_agent": kw.pop("user_agent", "sdk-python/1.0"),
            "endpoint": kw.pop("endpoint", "messages"),
            "model": kw.pop("model", "model-a"),
            "prompt_text": text,
            "prompt_hash": sha(text) if text is not None else kw.pop("prompt_hash", None),
            "system_prompt_hash": kw.pop("system_prompt_hash", None),
            "input_tokens": kw.pop("input_tokens", 200),
            "output_tokens": kw.pop("output_tokens", 300),
            "thinking_tokens": kw.pop("thinking_tokens", None),
            "n_messages": kw.pop("n_messages", 1),
            "tools_hash": kw.pop("tools_hash", None),
            "stop_reason": kw.pop("stop_reason", "end_turn"),
            "end_user_id": kw.pop("end_user_id", None),
            "status": kw.pop("status", 200),
        }
        assert not kw, kw
        self.requests.append(row)

    def analysed(self, *, drop_text: bool = False) -> dict[str, dict[str, Any]]:
        """The world's accounts as the analysis sees them (its JSON form), by account id."""
        from ircli.analysis import analyze

        req, acc, rel = self.tables(drop_text=drop_text)
        return {a["account_id"]: a for a in analyze(req, acc, rel).to_dict()["accounts"]}

    def tables(self, *, drop_text: bool = False) -> tuple[pa.Table, pa.Table, pa.Table | None]:
        reqs = self.requests
        if drop_text:
            reqs = [{**r, "prompt_text": None} for r in reqs]
        req = pa.Table.from_pylist(
            [{k: r[k] for k in field_names("requests")} for r in reqs],
            schema=arrow_schema("requests"),
        )
        acc = pa.Table.from_pylist(self.accounts, schema=arrow_schema("accounts"))
        rel = (
            pa.Table.from_pylist(self.releases, schema=arrow_schema("releases"))
            if self.releases
            else None
        )
        return req, acc, rel
