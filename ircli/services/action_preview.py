"""The dry run of an act: who would be acted on, who is left out and why, saved in the
journal with the approval request bound to its hash (see :mod:`ircli.services.containment`
for the whole flow). Also the lookups every part of an act shares: its action plugin, its
two-person rule, its ledger and the account system's client.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ircli.actions.base import ActionPlugin, Mode
from ircli.actions.ledger import LEDGER_TYPES, REQUESTED, Ledger, project_ledger
from ircli.actions.targets import (
    Candidate,
    Preview,
    apply_inspection,
    candidates_from,
    check_account,
    digest_inputs,
    file_source,
    read_accounts_table,
    read_allowlist,
    read_candidates,
    select,
)
from ircli.core.approvals import ApprovalRule, ApprovalState, approval_state
from ircli.core.canonical import canonical_json, sha256_hex
from ircli.core.events import Event
from ircli.errors import (
    ExternalServiceError,
    NotFoundError,
    RefusedError,
    UsageError,
    ValidationError,
)
from ircli.services.incidents import resolve_incident_id
from ircli.services.workspace import Workspace

if TYPE_CHECKING:
    import httpx


APPROVAL_TYPES = ("approval.requested", "approval.granted", "approval.rejected")
MAX_REASON = 2000


@dataclass(frozen=True)
class TargetRequest:
    """What the responder asked to act on (all optional: empty means "the saved preview")."""

    targets_file: Path | None = None
    accounts: tuple[str, ...] = ()
    analysis: dict[str, Any] | None = None
    """An analysis result already in memory, like --targets."""
    incident_analysis: bool = False
    """Take the candidates from the incident's latest ``analysis.completed`` result."""
    accounts_file: Path | None = None
    allowlist_file: Path | None = None
    include_verdicts: tuple[str, ...] = ()
    cluster: str | None = None
    override_reason: str | None = None

    @property
    def empty(self) -> bool:
        """No targets given: use the saved preview."""
        return (
            self.targets_file is None
            and not self.accounts
            and self.analysis is None
            and not self.incident_analysis
        )


@dataclass
class ActionView:
    """A preview with where its approvals and its ledger stand."""

    incident: str
    preview: Preview
    saved: bool
    approval: ApprovalState | None
    counts: dict[str, int]

    @property
    def preview_hash(self) -> str:
        """The hash approvals bind to."""
        return self.preview.hash

    def to_dict(self, *, full: bool = True) -> dict[str, Any]:
        """JSON-able form; ``full`` includes the target and exclusion lists (the export)."""
        out: dict[str, Any] = {
            "incident": self.incident,
            "step": self.preview.step,
            "action": self.preview.action,
            "mode": self.preview.mode,
            "preview_hash": self.preview_hash,
            "saved": self.saved,
            "summary": self.preview.summary(),
            "approval": self.approval.to_dict() if self.approval else None,
            "ledger": self.counts,
        }
        if full:
            out["targets"] = list(self.preview.targets)
            out["excluded"] = list(self.preview.excluded)
        return out


def build_preview(
    ws: Workspace,
    incident: str,
    step: str,
    plugin: ActionPlugin,
    request: TargetRequest,
    mode: Mode,
    transport: Any,
    journal: list[Event],
    rule: ApprovalRule | None,
    *,
    executing: bool,
) -> ActionView:
    settings = plugin.settings
    ledger = step_ledger(journal, step, mode)
    saved = Preview.from_payload(ledger.request["preview"]) if ledger.request else None
    if request.override_reason is not None:
        reason = request.override_reason.strip()
        if not reason or len(reason) > MAX_REASON:
            raise UsageError(
                "--override-ceiling needs a reason", hint="--reason 'campaign confirmed by ...'"
            )
    if mode == "rollback":
        candidates, sources, refs = _rollback_candidates(journal, incident, step)
        parts: dict[str, Any] = {"rollback_of": [c.account for c in candidates]}
        facts: dict[str, Any] = {}
        allow: dict[str, str] = {}
    elif request.empty:
        if saved is None:
            raise UsageError(
                f"no saved preview for step '{step}' of {incident}",
                hint="give the targets: --targets FILE (analysis result or list) or --account ID",
            )
        if ledger.undone > ledger.undone_at_request:
            raise UsageError(
                f"the saved preview of step '{step}' of {incident} was undone since "
                "(rolled back); acting again is a new act",
                hint="give the targets again for a new preview and new approvals",
            )
        return view_of(incident, saved, rule, ledger, journal, saved_now=False)
    else:
        candidates, sources, parts, facts, allow, refs = _inputs(ws, incident, plugin, request)
    parts["override"] = request.override_reason
    if ledger.undone:
        # A new round after a rollback (or a re-apply): a new preview, so new approvals.
        parts["round"] = ledger.undone
    digest = digest_inputs(parts)
    if saved is not None and saved.inputs_digest == digest:
        started = any(t.state != "pending" for t in ledger.targets.values())
        if executing or started:
            # Same request: keep the approved preview; re-reading live state mid-action
            # would drop the targets already deactivated and void the approvals.
            return view_of(incident, saved, rule, ledger, journal, saved_now=False)
    chosen, excluded = select(
        candidates,
        facts=facts,
        allowlist=allow,
        exclude_flags=settings.exclude_flags,
        include_verdicts=request.include_verdicts,
        cluster=request.cluster,
    )
    accounts = [c.account for c in chosen]
    if mode == "apply" and accounts and plugin.inspects:
        inspected = run_async(inspect_accounts(plugin, accounts, ws, transport))
        accounts, refs, gone = apply_inspection(accounts, inspected, mode)
        excluded.extend(gone)
    preview = Preview(
        step=step,
        action=settings.name,
        type=settings.type,
        mode=mode,
        targets=accounts,
        excluded=excluded,
        ceiling=settings.ceiling,
        refs={a: refs[a] for a in accounts if a in refs},
        override=request.override_reason.strip() if request.override_reason else None,
        inputs_digest=digest,
        sources=sources,
    )
    if saved is not None and saved.hash == preview.hash:
        return view_of(incident, saved, rule, ledger, journal, saved_now=False)
    journal.extend(_save_request(ws, incident, preview, rule))
    return view_of(
        incident, preview, rule, step_ledger(journal, step, mode), journal, saved_now=True
    )


def _inputs(
    ws: Workspace, incident: str, plugin: ActionPlugin, request: TargetRequest
) -> tuple[
    list[Candidate],
    list[dict[str, Any]],
    dict[str, Any],
    dict[str, Any],
    dict[str, str],
    dict[str, str],
]:
    settings = plugin.settings
    candidates: list[Candidate] = []
    sources: list[dict[str, Any]] = []
    if request.targets_file is not None:
        candidates.extend(read_candidates(request.targets_file))
        sources.append(file_source("targets", request.targets_file))
    if request.analysis is not None:
        candidates.extend(candidates_from(request.analysis, "analysis"))
        digest = sha256_hex(canonical_json(request.analysis))
        sources.append({"kind": "analysis", "file": "", "sha256": digest})
    if request.incident_analysis:
        from ircli.services.analysis import latest_analysis

        done = latest_analysis(ws, incident)
        candidates.extend(candidates_from(_verdicts_only(done.result), done.analysis_id))
        sources.append({"kind": "analysis", "file": done.analysis_id, "sha256": done.result_sha256})
    for index, account in enumerate(request.accounts):
        candidates.append(Candidate(check_account(account, f"--account #{index + 1}")))
    accounts_file = request.accounts_file or _path(settings.accounts_file)
    facts: dict[str, Any] = {}
    if accounts_file is not None:
        facts = dict(read_accounts_table(accounts_file))
        sources.append(file_source("accounts", accounts_file))
    allowlist_file = request.allowlist_file or _path(settings.allowlist_file)
    allow: dict[str, str] = {}
    if allowlist_file is not None:
        allow = read_allowlist(allowlist_file)
        sources.append(file_source("allowlist", allowlist_file))
    parts = {
        "sources": [s["sha256"] for s in sources],
        "accounts": list(request.accounts),
        "include_verdicts": sorted(request.include_verdicts),
        "cluster": request.cluster,
        "exclude_flags": sorted(settings.exclude_flags),
    }
    return candidates, sources, parts, facts, allow, {}


def _verdicts_only(result: dict[str, Any]) -> dict[str, Any]:
    """What the preview needs of an analysis result: ids, verdicts and clusters."""
    keep = ("account_id", "verdict", "cluster_id")
    accounts = result.get("accounts")
    if not isinstance(accounts, list):
        raise ValidationError("the analysis result has no accounts list")
    return {"accounts": [{k: a.get(k) for k in keep} for a in accounts if isinstance(a, dict)]}


def _rollback_candidates(
    journal: list[Event], incident: str, step: str
) -> tuple[list[Candidate], list[dict[str, Any]], dict[str, str]]:
    applied = step_ledger(journal, step, "apply")
    if applied.request is None:
        raise NotFoundError(f"step '{step}' of {incident} has no action to roll back")
    refs = dict(applied.request["preview"].get("refs", {}))
    changed = [t.account for t in applied.succeeded() if t.effect not in ("already_done", "")]
    if not changed:
        raise RefusedError(
            f"nothing to roll back: step '{step}' of {incident} changed no account yet"
        )
    source = {"kind": "ledger", "step": step, "preview_hash": applied.request["preview_hash"]}
    return [Candidate(a) for a in changed], [source], refs


def _save_request(
    ws: Workspace, incident: str, preview: Preview, rule: ApprovalRule | None
) -> list[Event]:
    digest = preview.hash
    items: list[tuple[str, dict[str, Any]]] = [
        (
            REQUESTED,
            {
                "step": preview.step,
                "mode": preview.mode,
                "action": preview.action,
                "preview": preview.payload(),
                "preview_hash": digest,
                "targets": len(preview.targets),
                "excluded": len(preview.excluded),
            },
        )
    ]
    if rule is not None:
        verb = "roll back" if preview.mode == "rollback" else "run"
        items.append(
            (
                "approval.requested",
                {
                    "step": approval_step(preview.step, preview.mode),
                    "subject": digest,
                    "required": rule.required,
                    "from": list(rule.allowed),
                    "summary": f"{verb} '{preview.action}' on {len(preview.targets)} account(s)",
                },
            )
        )
    return ws.store.append_many(incident, items, ws.actor)


def view_of(
    incident: str,
    preview: Preview,
    rule: ApprovalRule | None,
    ledger: Ledger,
    journal: list[Event],
    *,
    saved_now: bool,
) -> ActionView:
    approval = None
    if rule is not None:
        approval = approval_state(
            (e for e in journal if e.type in APPROVAL_TYPES),
            approval_step(preview.step, preview.mode),
        )
    return ActionView(incident, preview, saved_now, approval, ledger.counts(preview.targets))


async def inspect_accounts(
    plugin: ActionPlugin, accounts: list[str], ws: Workspace, transport: Any
) -> dict[str, Any]:
    import httpx

    async with account_system(plugin, ws, transport) as client:
        try:
            return await plugin.inspect(client, accounts)
        except httpx.HTTPError as exc:
            raise ExternalServiceError(
                f"cannot reach the account system at {plugin.settings.base_url} "
                f"({type(exc).__name__})",
                hint="check base_url in ircli.toml and that the service is up",
            ) from None


def account_system(plugin: ActionPlugin, ws: Workspace, transport: Any) -> httpx.AsyncClient:
    import httpx

    from ircli.secrets import get_secret

    settings = plugin.settings
    token = get_secret(settings.token_secret).reveal() if settings.token_secret else None
    size = settings.concurrency
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    if transport is None:
        # Small requests on kept-alive connections: do not let Nagle hold the body back.
        nodelay = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = httpx.AsyncHTTPTransport(limits=limits, socket_options=[nodelay])
    return httpx.AsyncClient(
        base_url=settings.base_url,
        headers=plugin.headers(token),
        timeout=settings.timeout,
        transport=transport,
        limits=limits,
    )


# -- lookups shared by every part of an act -------------------------------------


def run_async(coro: Any) -> Any:
    return asyncio.run(coro)


def open_incident_id(ws: Workspace, incident: str) -> str:
    # Only the open/closed events matter here: no need to fold a journal of 50,000 events.
    incident = resolve_incident_id(ws, incident)
    closed = False
    for event in ws.store.events(incident, types=("incident.closed", "incident.reopened")):
        closed = event.type == "incident.closed"
    if closed:
        raise RefusedError(f"{incident} is closed", hint="reopen it before acting")
    return incident


def action_for_step(ws: Workspace, step: str, action: str | None) -> ActionPlugin:
    from ircli.actions.registry import load_action

    actions = ws.config.actions
    name = action
    if name is None:
        if step in actions:
            name = step
        elif len(actions) == 1:
            name = next(iter(actions))
        else:
            raise UsageError(
                f"which action does step '{step}' run?",
                hint="name it with --action NAME (an [actions.NAME] table in ircli.toml)"
                if actions
                else "configure one: an [actions.NAME] table with type = 'scim' or 'http'",
            )
    return load_action(name, actions)


def approval_rule(plugin: ActionPlugin) -> ApprovalRule | None:
    """The step's two-person rule; ``None`` when the configuration asks for no approvals."""
    settings = plugin.settings
    if settings.approvals == 0:
        return None
    return ApprovalRule(settings.approvals, settings.approvers)


def approval_step(step: str, mode: str) -> str:
    return step if mode == "apply" else f"{step}:rollback"


def step_ledger(journal: list[Event], step: str, mode: str) -> Ledger:
    return project_ledger(journal, step, mode)


def action_journal(ws: Workspace, incident: str) -> list[Event]:
    """The action and approval events, read once per command."""
    return list(ws.store.events(incident, types=LEDGER_TYPES + APPROVAL_TYPES))


def _path(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None
