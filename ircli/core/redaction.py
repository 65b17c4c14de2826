"""The redaction policy: what may leave the lab, and in what form.

Account ids, emails, raw prompts, residential-proxy IPs and similar personal or
attacker-linked identifiers never leave in the clear. Identifiers that other labs must
be able to match are replaced by a keyed hash, ``HMAC-SHA256(forum key, kind:value)``,
so two labs sharing the Forum key compute the same token for the same value and
nobody without the key can reverse or confirm a guess. Everything else that the
policy names is dropped and replaced by a marker.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

REDACTED = "[redacted]"

# Payload keys whose values are identifiers to be keyed-hashed (matchable across labs).
DEFAULT_HASHED: dict[str, str] = {
    "account_id": "account",
    "account": "account",
    "target": "account",
    "owner_email": "email",
    "accounts": "account",
    "subjects": "account",
    "targets": "account",
    "email": "email",
    "emails": "email",
    "payment_fingerprint": "payment",
    "signup_ip": "ip",
    "src_ip": "ip",
    "end_user_id": "end_user",
    "api_key_id": "api_key",
    "org_id": "org",
}

# Payload keys whose values are dropped altogether.
DEFAULT_DROPPED: frozenset[str] = frozenset(
    {"prompt_text", "prompt", "prompts", "sample_prompts", "completion", "response_text"}
)


@dataclass(frozen=True)
class RedactionPolicy:
    """Which payload keys are keyed-hashed, which are dropped, and the key to hash with."""

    key: bytes
    hashed: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_HASHED))
    dropped: frozenset[str] = DEFAULT_DROPPED

    def token(self, kind: str, value: str) -> str:
        """The keyed hash of one identifier: ``hmac-sha256:<hex>``."""
        digest = hmac.new(self.key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
        return f"hmac-sha256:{digest}"

    def apply(self, value: Any, kind: str | None = None) -> Any:
        """A redacted deep copy of ``value`` (dicts, lists and scalars)."""
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if key in self.dropped:
                    out[key] = REDACTED
                elif key in self.hashed:
                    out[key] = self.apply(item, self.hashed[key])
                else:
                    out[key] = self.apply(item, kind)
            return out
        if isinstance(value, list | tuple):
            return [self.apply(item, kind) for item in value]
        if kind is not None and isinstance(value, str | int) and not isinstance(value, bool):
            return self.token(kind, str(value))
        return value

    def describe(self) -> dict[str, Any]:
        """What the policy does, for previews (never the key)."""
        return {
            "hashed": {k: v for k, v in sorted(self.hashed.items())},
            "dropped": sorted(self.dropped),
            "method": "HMAC-SHA256 with the Forum-shared key",
        }
