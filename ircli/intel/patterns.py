"""STIX patterns ircli can match, turned into :class:`Term` s; everything else is kept as unsupported.

Supported (each alone, or several joined by ``OR``):

- ``[ipv4-addr:value = '203.0.113.7']``, ``= '203.0.113.0/24'``, ``ISSUBSET '…/24'``, ``IN (…)``;
  the same for ``ipv6-addr:value`` and ``network-traffic:src_ref.value``;
- ``[autonomous-system:number = 64512]`` (or ``IN (…)``);
- ``[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = '…']``
  (also ``LIKE`` with ``%`` and ``_``);
- ircli's behavioural fingerprints, a new SCO defined by an extension definition
  (see :mod:`ircli.intel.fingerprints`):
  ``[ircli-fingerprint:kind = 'payment-fingerprint' AND ircli-fingerprint:value = 'hmac-sha256:…']``.

``AND`` across different objects, ``FOLLOWEDBY``, negation, ``!=``, ``MATCHES`` and
qualifiers (``WITHIN``, ``REPEATS``, ``START``) are not matched: such indicators are kept,
reported as unsupported with the reason, and never silently dropped.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from ircli.intel.fingerprints import FINGERPRINT_KINDS, FINGERPRINT_TYPE

MAX_PATTERN = 20_000
MAX_TERMS = 10_000
MAX_DEPTH = 50

UA_PATH = "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'"
_IP_PATHS = ("ipv4-addr:value", "ipv6-addr:value", "network-traffic:src_ref.value")
_ASN_PATH = "autonomous-system:number"

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<path>[a-z0-9][a-z0-9-]*:(?:[A-Za-z0-9_-]+|'(?:[^'\\]|\\.)*')
        (?:\.(?:[A-Za-z0-9_-]+|'(?:[^'\\]|\\.)*')|\[(?:\d+|\*)\])*)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op>!=|<=|>=|=|<|>)
  | (?P<punct>[\[\](),])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)


class PatternUnsupported(Exception):
    """The pattern is valid STIX perhaps, but not something ircli matches."""


@dataclass(frozen=True, slots=True)
class Term:
    """One matchable comparison: ``kind`` (ip, asn, user_agent or a fingerprint kind),
    ``op`` (``eq``, ``cidr`` or ``like``) and the value."""

    kind: str
    op: str
    value: str

    def to_dict(self) -> dict[str, str]:
        """JSON-able form."""
        return {"kind": self.kind, "op": self.op, "value": self.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Term:
        """Rebuild from :meth:`to_dict`."""
        return cls(str(data["kind"]), str(data["op"]), str(data["value"]))


@dataclass(frozen=True, slots=True)
class _Cmp:
    path: str
    op: str
    values: tuple[str | int, ...]


def parse_pattern(pattern: str) -> list[Term]:
    """The terms of a supported pattern (an OR of them); raises :class:`PatternUnsupported`."""
    if len(pattern) > MAX_PATTERN:
        raise PatternUnsupported(f"pattern longer than {MAX_PATTERN} characters")
    tokens = _tokens(pattern)
    depth = deepest = 0
    for kind, text in tokens:
        if kind == "punct" and text in "[(":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "punct" and text in "])":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise PatternUnsupported("the pattern nests too deeply")
    parser = _Parser(tokens)
    groups = parser.pattern()
    terms: list[Term] = []
    for group in groups:
        terms.extend(_terms(group))
    if not terms:
        raise PatternUnsupported("the pattern compares nothing ircli can match")
    if len(terms) > MAX_TERMS:
        raise PatternUnsupported(f"more than {MAX_TERMS} values")
    return terms


def _tokens(pattern: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(pattern):
        match = _TOKEN_RE.match(pattern, pos)
        if match is None:
            raise PatternUnsupported(f"cannot read the pattern at character {pos + 1}")
        kind = match.lastgroup or ""
        if kind != "ws":
            out.append((kind, match.group(0)))
        pos = match.end()
    return out


class _Parser:
    """Recursive descent over the token list; returns OR-groups of AND-ed comparisons."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, text: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise PatternUnsupported("the pattern ends too early")
        if text is not None and token[1].upper() != text:
            raise PatternUnsupported(f"expected '{text}', found '{token[1][:40]}'")
        self.pos += 1
        return token

    def keyword(self) -> str | None:
        token = self.peek()
        return token[1].upper() if token and token[0] == "word" else None

    def pattern(self) -> list[list[_Cmp]]:
        groups = self.observation_or()
        if self.peek() is not None:
            word = self.keyword()
            if word in ("AND", "FOLLOWEDBY"):
                raise PatternUnsupported(f"observations joined by {word} are not matched")
            raise PatternUnsupported(f"unexpected '{self.peek()[1][:40]}'")  # type: ignore[index]
        return groups

    def observation_or(self) -> list[list[_Cmp]]:
        groups = self.observation()
        while self.keyword() == "OR":
            self.take()
            groups += self.observation()
        return groups

    def observation(self) -> list[list[_Cmp]]:
        token = self.peek()
        if token == ("punct", "("):
            self.take()
            groups = self.observation_or()
            self.take(")")
        else:
            self.take("[")
            groups = self.comparison_or()
            self.take("]")
        if self.keyword() in ("WITHIN", "REPEATS", "START", "STOP"):
            raise PatternUnsupported(f"qualifier {self.keyword()} is not matched")
        return groups

    def comparison_or(self) -> list[list[_Cmp]]:
        groups = [self.comparison_and()]
        while self.keyword() == "OR":
            self.take()
            groups.append(self.comparison_and())
        return groups

    def comparison_and(self) -> list[_Cmp]:
        group = self.comparison()
        while self.keyword() == "AND":
            self.take()
            group = group + self.comparison()
        return group

    def comparison(self) -> list[_Cmp]:
        token = self.peek()
        if token == ("punct", "("):
            self.take()
            inner = self.comparison_or()
            self.take(")")
            if len(inner) != 1:
                raise PatternUnsupported("OR nested inside AND is not matched")
            return inner[0]
        kind, path = self.take()
        if kind != "path":
            raise PatternUnsupported(f"expected an object path, found '{path[:40]}'")
        if self.keyword() == "NOT":
            raise PatternUnsupported("negated comparisons are not matched")
        kind, op = self.take()
        op = op.upper()
        if op not in ("=", "IN", "LIKE", "ISSUBSET"):
            raise PatternUnsupported(f"operator {op} is not matched")
        if op == "IN":
            self.take("(")
            values = [self.constant()]
            while self.peek() == ("punct", ","):
                self.take()
                values.append(self.constant())
            self.take(")")
        else:
            values = [self.constant()]
        return [_Cmp(path, op, tuple(values))]

    def constant(self) -> str | int:
        kind, text = self.take()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "number" and re.fullmatch(r"-?\d+", text):
            return int(text)
        if kind == "word" and text.lower() in ("t", "f", "h", "b"):
            raise PatternUnsupported("timestamp, hex and binary constants are not matched")
        raise PatternUnsupported(f"unexpected constant '{text[:40]}'")


def _terms(group: list[_Cmp]) -> list[Term]:
    paths = {c.path for c in group}
    if paths <= {f"{FINGERPRINT_TYPE}:kind", f"{FINGERPRINT_TYPE}:value"}:
        return _fingerprint_terms(group)
    if len(group) != 1:
        raise PatternUnsupported("AND of different properties is not matched")
    cmp = group[0]
    if cmp.path in _IP_PATHS:
        return [_ip_term(v, cmp.op) for v in cmp.values]
    if cmp.path == _ASN_PATH:
        return [_asn_term(v, cmp.op) for v in cmp.values]
    if cmp.path == UA_PATH:
        if cmp.op not in ("=", "IN", "LIKE"):
            raise PatternUnsupported(f"operator {cmp.op} on a user agent is not matched")
        op = "like" if cmp.op == "LIKE" else "eq"
        return [Term("user_agent", op, _text(v)) for v in cmp.values]
    raise PatternUnsupported(f"object path {cmp.path[:80]} is not matched")


def _text(value: str | int) -> str:
    if not isinstance(value, str):
        raise PatternUnsupported("expected a string constant")
    return value


def _ip_term(value: str | int, op: str) -> Term:
    if op not in ("=", "IN", "ISSUBSET"):
        raise PatternUnsupported(f"operator {op} on an address is not matched")
    try:
        network = ipaddress.ip_network(_text(value), strict=False)
    except ValueError:
        raise PatternUnsupported(f"'{str(value)[:60]}' is not an IP address or CIDR") from None
    if network.num_addresses == 1 and "/" not in str(value):
        return Term("ip", "eq", str(network.network_address))
    return Term("ip", "cidr", str(network))


def _asn_term(value: str | int, op: str) -> Term:
    if op not in ("=", "IN") or not isinstance(value, int) or not 0 <= value < 2**32:
        raise PatternUnsupported("autonomous-system:number needs = or IN with integers")
    return Term("asn", "eq", str(value))


def _fingerprint_terms(group: list[_Cmp]) -> list[Term]:
    kinds = [c for c in group if c.path.endswith(":kind")]
    values = [c for c in group if c.path.endswith(":value")]
    if len(kinds) != 1 or len(values) != 1 or kinds[0].op != "=" or len(kinds[0].values) != 1:
        raise PatternUnsupported("a fingerprint needs exactly one 'kind =' and one 'value'")
    kind = _text(kinds[0].values[0])
    if kind not in FINGERPRINT_KINDS:
        raise PatternUnsupported(f"unknown fingerprint kind '{kind[:40]}'")
    if values[0].op not in ("=", "IN"):
        raise PatternUnsupported(f"operator {values[0].op} on a fingerprint is not matched")
    return [Term(kind, "eq", _text(v).lower()) for v in values[0].values]
