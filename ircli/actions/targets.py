"""The dry-run preview: which accounts an action will touch, and which it leaves alone and why.

Candidates come from the analysis output (``accounts[]`` with ``verdict`` and
``cluster_id``), from a plain list of account ids, or from both. Exclusions, each with a
reason a lawyer can read: the allowlist, contract flags in the accounts table
(``synthetic_data_ok``, ``eval_partner``, ``reseller`` …), a verdict other than ``alert``
(unless included on purpose), accounts already inactive, accounts the account system
does not know.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ircli.actions.base import Inspection
from ircli.core.approvals import approval_subject
from ircli.core.canonical import canonical_json, sha256_hex
from ircli.errors import ValidationError

MAX_ACCOUNT = 256
INACTIVE_STATUSES = frozenset({"inactive", "terminated", "suspended", "disabled", "closed"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """An account proposed for the action, with what the analysis said about it."""

    account: str
    verdict: str | None = None
    cluster: str | None = None


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the accounts table says about one account."""

    contract_flags: tuple[str, ...] = ()
    active: bool | None = None


@dataclass(slots=True)
class Preview:
    """What an action will do. Its :attr:`hash` is what approvals bind to."""

    step: str
    action: str
    type: str
    mode: str
    targets: list[str]
    excluded: list[dict[str, str]]
    ceiling: int
    refs: dict[str, str] = field(default_factory=dict)
    override: str | None = None
    inputs_digest: str = ""
    sources: list[dict[str, Any]] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """The saved form (``action.requested``'s ``preview``)."""
        return {
            "step": self.step,
            "action": self.action,
            "type": self.type,
            "mode": self.mode,
            "targets": list(self.targets),
            "refs": dict(self.refs),
            "excluded": list(self.excluded),
            "ceiling": self.ceiling,
            "override": self.override,
            "inputs_digest": self.inputs_digest,
            "sources": list(self.sources),
        }

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical preview: change one target and it changes."""
        return approval_subject(self.payload())

    @property
    def over_ceiling(self) -> bool:
        """More targets than the ceiling allows."""
        return len(self.targets) > self.ceiling

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Preview:
        """Rebuild a saved preview."""
        return cls(
            step=str(data["step"]),
            action=str(data["action"]),
            type=str(data["type"]),
            mode=str(data["mode"]),
            targets=[str(t) for t in data["targets"]],
            excluded=[dict(e) for e in data.get("excluded", [])],
            ceiling=int(data["ceiling"]),
            refs={str(k): str(v) for k, v in data.get("refs", {}).items()},
            override=data.get("override"),
            inputs_digest=str(data.get("inputs_digest", "")),
            sources=list(data.get("sources", [])),
        )

    def summary(self) -> dict[str, Any]:
        """Counts and reasons, without the full lists."""
        reasons: dict[str, int] = {}
        for item in self.excluded:
            reasons[item["reason"]] = reasons.get(item["reason"], 0) + 1
        return {
            "targets": len(self.targets),
            "excluded": len(self.excluded),
            "exclusion_reasons": reasons,
            "ceiling": self.ceiling,
            "over_ceiling": self.over_ceiling,
            "override": self.override,
        }


def check_account(value: Any, where: str) -> str:
    """An account id: text, 1-256 characters, no control characters."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValidationError(f"{where}: an account id must be text")
    text = str(value).strip()
    if not text or len(text) > MAX_ACCOUNT or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValidationError(f"{where}: invalid account id {text[:40]!r}")
    return text


def read_candidates(path: Path) -> list[Candidate]:
    """Candidates from an analysis result (JSON with ``accounts[]``), a JSON list, or lines."""
    raw = _read_text(path)
    stripped = raw.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ValidationError(f"{path}: invalid JSON ({exc})") from None
        return candidates_from(data, str(path))
    out = []
    for number, line in enumerate(raw.splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(Candidate(check_account(line, f"{path}:{number}")))
    return out


def candidates_from(data: Any, where: str) -> list[Candidate]:
    """Candidates from a parsed analysis result (``{"accounts": [...]}``) or a list."""
    items = data.get("accounts") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValidationError(
            f"{where}: expected an analysis result with 'accounts' or a list of account ids"
        )
    return [_candidate(item, f"{where}: accounts[{i}]") for i, item in enumerate(items)]


def _candidate(item: Any, where: str) -> Candidate:
    if isinstance(item, dict):
        account = item.get("account_id", item.get("account"))
        if account is None:
            raise ValidationError(f"{where}: no account_id")
        verdict = item.get("verdict")
        cluster = item.get("cluster_id", item.get("cluster"))
        return Candidate(
            check_account(account, where),
            str(verdict) if verdict is not None else None,
            str(cluster) if cluster is not None else None,
        )
    return Candidate(check_account(item, where))


def read_accounts_table(path: Path) -> dict[str, AccountFacts]:
    """Contract flags (and, when present, ``active``/``status``) per account, from the
    canonical ``accounts`` table as Parquet or JSONL."""
    parquet = path.suffix.lower() == ".parquet"
    rows: Iterable[Mapping[str, Any]] = _parquet_rows(path) if parquet else _jsonl_rows(path)
    out: dict[str, AccountFacts] = {}
    for number, row in enumerate(rows, 1):
        where = f"{path}: row {number}"
        account = check_account(row.get("account_id"), where)
        flags = row.get("contract_flags") or []
        if isinstance(flags, str):
            flags = [f for f in flags.replace(";", ",").split(",") if f.strip()]
        if not isinstance(flags, list | tuple):
            raise ValidationError(f"{where}: contract_flags must be a list")
        active = row.get("active")
        status = row.get("status")
        if active is None and isinstance(status, str):
            active = status.strip().lower() not in INACTIVE_STATUSES
        out[account] = AccountFacts(
            tuple(str(f).strip() for f in flags), active if isinstance(active, bool) else None
        )
    return out


def _parquet_rows(path: Path) -> Iterable[Mapping[str, Any]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise ValidationError(f"{path}: not a readable Parquet file ({exc})") from None
    wanted = [
        c for c in ("account_id", "contract_flags", "active", "status") if c in table.column_names
    ]
    if "account_id" not in wanted:
        raise ValidationError(f"{path}: no account_id column")
    return table.select(wanted).to_pylist()  # type: ignore[no-any-return]


def _jsonl_rows(path: Path) -> Iterable[Mapping[str, Any]]:
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise ValidationError(f"{path}:{number}: not a JSON object") from None
        if not isinstance(row, dict):
            raise ValidationError(f"{path}:{number}: not a JSON object")
        yield row


def read_allowlist(path: Path) -> dict[str, str]:
    """Allowlisted accounts: one per line, optionally ``account  # why``."""
    out = {}
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        body, _, note = line.partition("#")
        if body.strip():
            out[check_account(body, f"{path}:{number}")] = " ".join(note.split())
    return out


def select(
    candidates: Sequence[Candidate],
    *,
    facts: Mapping[str, AccountFacts],
    allowlist: Mapping[str, str],
    exclude_flags: Sequence[str],
    include_verdicts: Sequence[str] = (),
    cluster: str | None = None,
) -> tuple[list[Candidate], list[dict[str, str]]]:
    """Split candidates into targets and exclusions (each with its reason); first reason wins."""
    targets: list[Candidate] = []
    excluded: list[dict[str, str]] = []
    seen: set[str] = set()
    allowed_verdicts = {"alert", *include_verdicts}
    for cand in candidates:
        if cand.account in seen:
            continue
        seen.add(cand.account)
        if cluster is not None and cand.cluster != cluster:
            continue  # not part of this action at all, so not an exclusion either
        reason = _reason(cand, facts.get(cand.account), allowlist, exclude_flags, allowed_verdicts)
        if reason:
            excluded.append({"account": cand.account, "reason": reason})
        else:
            targets.append(cand)
    return targets, excluded


def _reason(
    cand: Candidate,
    facts: AccountFacts | None,
    allowlist: Mapping[str, str],
    exclude_flags: Sequence[str],
    verdicts: set[str],
) -> str | None:
    if cand.account in allowlist:
        note = allowlist[cand.account]
        return f"allowlisted ({note})" if note else "allowlisted"
    if facts is not None:
        flags = [f for f in facts.contract_flags if f in exclude_flags]
        if flags:
            return "contract flag: " + ", ".join(sorted(flags))
    if cand.verdict is not None and cand.verdict not in verdicts:
        return f"verdict is {cand.verdict}, not alert"
    if facts is not None and facts.active is False:
        return "already inactive (accounts table)"
    return None


def apply_inspection(
    targets: Sequence[str], inspected: Mapping[str, Inspection], mode: str
) -> tuple[list[str], dict[str, str], list[dict[str, str]]]:
    """Drop targets the account system does not know, or already in the wanted state."""
    kept: list[str] = []
    refs: dict[str, str] = {}
    excluded: list[dict[str, str]] = []
    for account in targets:
        seen = inspected.get(account)
        if seen is None:
            kept.append(account)
            continue
        if not seen.exists:
            excluded.append({"account": account, "reason": "not found on the account system"})
            continue
        if mode == "apply" and seen.active is False:
            excluded.append({"account": account, "reason": "already inactive"})
            continue
        kept.append(account)
        if seen.ref is not None and seen.ref != account:
            refs[account] = seen.ref
    return kept, refs, excluded


def digest_inputs(parts: Mapping[str, Any]) -> str:
    """A digest of what the preview was built from, to recognise the same request later."""
    return sha256_hex(canonical_json(parts))


def file_source(kind: str, path: Path) -> dict[str, Any]:
    """Provenance of an input file: name and content hash."""
    return {"kind": kind, "file": path.name, "sha256": sha256_hex(path.read_bytes())}


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read ({exc.strerror or exc})") from None
