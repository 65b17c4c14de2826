"""ircli's behavioural fingerprints in STIX: one new SCO type, defined by an extension definition.

Why a new SCO rather than custom properties or notes: an indicator needs a *pattern*, and
STIX patterns can only compare properties of cyber-observable objects. Payment
fingerprints, system-prompt hashes and prompt-template fingerprints are observations of an
account's behaviour with no standard SCO, so ircli defines ``ircli-fingerprint``
(``kind``, ``value``) through the STIX 2.1 extension mechanism (``extension_types:
["new-sco"]``). Other labs then write ordinary patterns over it::

    [ircli-fingerprint:kind = 'payment-fingerprint' AND ircli-fingerprint:value = 'hmac-sha256:…']

and ``observed-data`` can carry the same objects. Values that identify a person or a card
are keyed hashes, ``hmac-sha256:<hex>`` of ``"<hmac kind>:<value>"`` with the Forum-shared
key (see :class:`ircli.core.redaction.RedactionPolicy`), so two labs with the key compute
the same token and nobody else can test a guess. A system-prompt hash may also be shared as
the plain SHA-256 hex the lab logs (``sha256:<hex>``); ircli matches both forms.

Prompt-template fingerprint: SHA-256 of the first :data:`TEMPLATE_WORDS` words of the
prompt after lower-casing ASCII letters, replacing every run of ASCII digits by ``0`` and collapsing
whitespace — the fixed scaffold of a harvesting template with its payload cut off.
"""

from __future__ import annotations

import hashlib
import re

from ircli.core.redaction import RedactionPolicy

FINGERPRINT_TYPE = "ircli-fingerprint"
EXTENSION_ID = "extension-definition--5f4a3c2e-0b8d-4e71-9c46-1d2e3f4a5b6c"
EXTENSION_CREATOR = "identity--0c6b4f5e-7d1a-4b2c-8e3f-4a5b6c7d8e9f"
EXTENSION_CREATED = "2026-01-01T00:00:00.000Z"

# Fingerprint kind (in patterns) → the kind label fed to the HMAC (shared by every lab).
FINGERPRINT_KINDS: dict[str, str] = {
    "payment-fingerprint": "payment",
    "system-prompt": "system_prompt",
    "prompt-template": "prompt_template",
    "ip": "ip",
    "user-agent": "user_agent",
}

EXTENSION_SCHEMA = (
    '{"type": "object", "title": "ircli-fingerprint", "required": ["kind", "value"], '
    '"properties": {"kind": {"enum": ["payment-fingerprint", "system-prompt", '
    '"prompt-template", "ip", "user-agent"]}, "value": {"type": "string", "description": '
    '"hmac-sha256:<hex> of \\"<kind label>:<value>\\" keyed with the Forum-shared key, or '
    'sha256:<hex> for a system-prompt hash"}}}'
)

TEMPLATE_WORDS = 12
_DIGITS = re.compile(r"[0-9]+")
# ASCII-only lower-casing: Unicode case rules differ between Python and DuckDB versions.
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASCII_LOWER = str.maketrans(_UPPER, _UPPER.lower())
_SPACE = re.compile(r"[ \t\n\r\f\v]+")


def template_fingerprint(prompt: str) -> str:
    """The prompt-template fingerprint of a prompt (SHA-256 hex)."""
    text = _SPACE.sub(" ", _DIGITS.sub("0", prompt.translate(_ASCII_LOWER))).strip(" ")
    head = " ".join(text.split(" ")[:TEMPLATE_WORDS])
    return hashlib.sha256(head.encode("utf-8")).hexdigest()


def template_fingerprint_sql(column: str) -> str:
    """The same fingerprint as a DuckDB expression over ``column`` (kept in step by a test)."""
    lowered = f"translate({column}, '{_UPPER}', '{_UPPER.lower()}')"
    digits = f"regexp_replace({lowered}, '[0-9]+', '0', 'g')"
    spaced = f"regexp_replace({digits}, '[ \\t\\n\\r\\f\\v]+', ' ', 'g')"
    # Strip plain spaces only: DuckDB's trim() also strips Unicode spaces, Python's strip(" ") not.
    stripped = f"regexp_replace({spaced}, '^ +| +$', '', 'g')"
    return f"sha256(array_to_string(string_split({stripped}, ' ')[1:{TEMPLATE_WORDS}], ' '))"


def fingerprint_token(kind: str, value: str, policy: RedactionPolicy) -> str:
    """The shareable form of one fingerprint value (always keyed)."""
    return policy.token(FINGERPRINT_KINDS[kind], value)


def fingerprint_matches(kind: str, shared: str, observed: str, policy: RedactionPolicy) -> bool:
    """Whether a shared fingerprint value denotes the locally observed raw value."""
    shared = shared.lower()
    if shared.startswith("hmac-sha256:"):
        return fingerprint_token(kind, observed, policy) == shared
    plain = shared.removeprefix("sha256:")
    return plain == observed.lower()
