"""Canonical log schema, version 1 (DESIGN §6): the one definition every source, the
analysis and the synthetic world share.

Three tables: ``requests`` (one row per API exchange), ``accounts`` (one row per
account) and ``releases`` (model launch dates). Field types are given once, as
:class:`Field` records, and turned into a pyarrow schema on demand (pyarrow is
imported lazily so that importing this module stays cheap).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pyarrow as pa

SCHEMA_VERSION = 1

Kind = Literal["string", "timestamp", "int", "bool", "string_list"]

ASN_TYPES = ("hosting", "isp", "mobile", "edu", "business", "resproxy", "vpn")
STOP_REASONS = ("end_turn", "max_tokens", "refusal", "rate_limited", "tool_use", "stop_sequence")
SIGNUP_PATHS = ("standard", "education", "startup", "security_research", "trial")
CONTRACT_FLAGS = ("synthetic_data_ok", "reseller", "eval_partner", "research_partner")


@dataclass(frozen=True, slots=True)
class Field:
    """One column of a canonical table."""

    name: str
    kind: Kind
    required: bool = False
    doc: str = ""


REQUESTS: tuple[Field, ...] = (
    Field("request_id", "string", True, "unique per exchange"),
    Field("ts", "timestamp", True, "UTC"),
    Field("account_id", "string", True),
    Field("org_id", "string"),
    Field("api_key_id", "string"),
    Field("src_ip", "string", doc="IPv4 or IPv6"),
    Field("asn", "int"),
    Field("asn_type", "string", doc="|".join(ASN_TYPES)),
    Field("country", "string", doc="ISO 3166 alpha-2"),
    Field("user_agent", "string"),
    Field("endpoint", "string", doc="messages, batch, reseller, …"),
    Field("model", "string", True),
    Field("prompt_text", "string", doc="attacker-controlled; may be absent"),
    Field("prompt_hash", "string", doc="sha256 hex of prompt_text"),
    Field("system_prompt_hash", "string"),
    Field("input_tokens", "int", True),
    Field("output_tokens", "int", True),
    Field("thinking_tokens", "int"),
    Field("n_messages", "int"),
    Field("tools_hash", "string"),
    Field("stop_reason", "string", doc="|".join(STOP_REASONS)),
    Field("end_user_id", "string"),
    Field("status", "int", doc="HTTP status"),
)

ACCOUNTS: tuple[Field, ...] = (
    Field("account_id", "string", True),
    Field("org_id", "string"),
    Field("created_at", "timestamp"),
    Field("email_domain", "string"),
    Field("signup_path", "string", doc="|".join(SIGNUP_PATHS)),
    Field("signup_ip", "string"),
    Field("payment_fingerprint", "string"),
    Field("card_bin", "string"),
    Field("billing_country", "string"),
    Field("tier", "string"),
    Field("kyb_verified", "bool"),
    Field("contract_flags", "string_list", doc="|".join(CONTRACT_FLAGS)),
)

RELEASES: tuple[Field, ...] = (
    Field("model", "string", True),
    Field("released_at", "timestamp", True),
)

TABLES: dict[str, tuple[Field, ...]] = {
    "requests": REQUESTS,
    "accounts": ACCOUNTS,
    "releases": RELEASES,
}


def field_names(table: str) -> list[str]:
    """Column names of a canonical table, in order."""
    return [f.name for f in TABLES[table]]


def required_fields(table: str) -> list[str]:
    """Columns that must be present and non-null."""
    return [f.name for f in TABLES[table] if f.required]


@cache
def arrow_schema(table: str) -> pa.Schema:
    """The pyarrow schema of a canonical table (timestamps in µs, UTC)."""
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "int": pa.int64(),
        "bool": pa.bool_(),
        "string_list": pa.list_(pa.string()),
    }
    fields = [pa.field(f.name, types[f.kind], nullable=not f.required) for f in TABLES[table]]
    return pa.schema(fields, metadata={"ircli_schema": f"{table}/v{SCHEMA_VERSION}"})
