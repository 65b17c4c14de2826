"""The Forum report as a response action: prepare (dry run) and approve.

- :func:`prepare_report` builds both bundles, refuses if any raw identifier would leak,
  keeps them as content-addressed files, writes them for review, and requests one
  approval bound to their hashes (``report.prepared`` + ``approval.requested``, step
  ``report``). Preparing again with nothing changed records nothing new.
- :func:`approve_report` is the second responder's approval (two-person rule), through
  :mod:`ircli.services.approvals` (``ircli approve INC report`` does the same).

Submitting and resubmitting are in :mod:`ircli.services.report_submission`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ircli.core.approvals import (
    ApprovalState,
    approval_subject,
)
from ircli.core.canonical import sha256_hex
from ircli.core.clock import format_ts
from ircli.core.events import Event
from ircli.core.incident import Incident
from ircli.errors import (
    RefusedError,
)
from ircli.intel.settings import ForumSettings, forum_settings, tlp_rank
from ircli.services.incidents import get_incident
from ircli.services.intel import evidence_files, forum_policy, intel_sightings
from ircli.services.workspace import Workspace

if TYPE_CHECKING:
    pass

STEP = "report"
BUNDLES = ("indicators", "narrative")


@dataclass
class Preparation:
    """A prepared report: where its bundles are and what the approver is asked for."""

    incident: str
    subject: str
    tlp: str
    confirmed: bool
    files: dict[str, str]
    objects: dict[str, int]
    policy: dict[str, Any]
    submittable: bool
    refusal: str | None
    recorded: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``--json``)."""
        return {
            "incident": self.incident,
            "subject": self.subject,
            "tlp": self.tlp,
            "confirmed": self.confirmed,
            "files": self.files,
            "objects": self.objects,
            "redaction_policy": self.policy,
            "submittable": self.submittable,
            "refusal": self.refusal,
            "recorded": self.recorded,
        }


# -- preparing ------------------------------------------------------------------------


def prepare_report(
    ws: Workspace,
    incident: str,
    *,
    out_dir: Path | None = None,
    confirmed: bool | None = None,
    threat_actor: str | None = None,
    own_approval: bool = True,
) -> Preparation:
    """Build, check and keep the two bundles; request the report's approval.

    ``own_approval=False`` when a playbook step runs the report: the step's approval (bound
    to this preparation's hashes through the step preview) replaces the report's own.
    """
    from ircli.intel.report import find_leaks

    state = get_incident(ws, incident)
    settings = forum_settings(ws.config.forum)
    if confirmed is None:
        confirmed = _decided_confirmed(ws, state.id)
    previous = latest_prepared(ws, state.id)
    bundles, forbidden, policy = _build(ws, state, settings, confirmed, threat_actor, previous)
    leaks = find_leaks(bundles, forbidden)
    if leaks:
        raise RefusedError(
            "redaction check failed: the report would contain " + "; ".join(leaks),
            hint="nothing was written; remove identifiers from the incident title or report "
            "this as a bug",
        )
    files = {name: _keep_bundle(ws, bundle) for name, bundle in bundles.items()}
    subject = approval_subject({name: f["sha256"] for name, f in files.items()})
    refusal = tlp_refusal(state, settings)
    events: list[tuple[str, dict[str, Any]]] = []
    if previous is None or previous.payload.get("subject") != subject:
        bundles_info = {
            name: {
                **files[name],
                "objects": len(bundles[name]["objects"]),
                "ids": [o["id"] for o in bundles[name]["objects"]],
            }
            for name in BUNDLES
        }
        prepared = {
            "subject": subject,
            "tlp": state.tlp,
            "confirmed": confirmed,
            "threat_actor": bool(threat_actor),
            "prepared_at": _prepared_at(bundles),
            "bundles": bundles_info,
            "policy": policy,
            "collection": settings.collection,
        }
        events.append(("report.prepared", prepared))
    if own_approval and (events or not _requested(ws, state.id, subject)):
        count = sum(len(b["objects"]) for b in bundles.values())
        request = {
            "step": STEP,
            "subject": subject,
            "required": 1,
            "from": list(settings.approvers),
            "summary": f"Submit the Forum report of {state.id} ({count} STIX objects, "
            f"TLP:{state.tlp})",
        }
        events.append(("approval.requested", request))
    if events:
        ws.store.append_many(state.id, events, ws.actor)
    recorded = bool(events)
    written: dict[str, str] = {}
    if out_dir is not None:
        written = _write_review(out_dir, bundles, policy, subject, refusal)
    return Preparation(
        incident=state.id,
        subject=subject,
        tlp=state.tlp,
        confirmed=confirmed,
        files=written or {n: str(ws.store.files_dir / f["path"]) for n, f in files.items()},
        objects={name: len(b["objects"]) for name, b in bundles.items()},
        policy=policy,
        submittable=refusal is None,
        refusal=refusal,
        recorded=recorded,
    )


def _build(
    ws: Workspace,
    state: Incident,
    settings: ForumSettings,
    confirmed: bool,
    threat_actor: str | None,
    previous: Event | None,
) -> tuple[dict[str, dict[str, Any]], dict[str, set[str]], dict[str, Any]]:
    from ircli.intel.observations import observe
    from ircli.intel.report import ReportInput, build_report

    policy = forum_policy(ws)
    sightings = intel_sightings(ws, state.id)
    scope = sorted(set(state.subjects) | {a for s in sightings for a in s.get("accounts", [])})
    requests, accounts = evidence_files(ws, state.id)
    obs = observe(requests, accounts, scope, settings.clear_ip_asn_types)
    secrets = {policy.key.decode("utf-8", "replace")}
    secrets |= _auth_secret(settings)
    forbidden = {**obs.forbidden, "secret": {s for s in secrets if s}}

    def build(prepared_at: str) -> dict[str, dict[str, Any]]:
        data = ReportInput(
            incident=state.id,
            title=state.title,
            tlp=state.tlp,
            confirmed=confirmed,
            lab=settings.identity,
            prepared_at=prepared_at,
            observations=obs,
            sightings=sightings,
            threat_actor=threat_actor,
            clear_ip_asn_types=settings.clear_ip_asn_types,
            max_accounts=settings.max_accounts_in_report,
        )
        return build_report(data, policy).as_dict()

    # Rebuilding an unchanged report with the earlier timestamp gives the same bytes, so the
    # approval already given (bound to their hash) still holds.
    if previous is not None and previous.payload.get("prepared_at"):
        again = build(str(previous.payload["prepared_at"]))
        hashes = {n: sha256_hex(_bundle_bytes(b)) for n, b in again.items()}
        if all(
            previous.payload["bundles"].get(n, {}).get("sha256") == h for n, h in hashes.items()
        ):
            return again, forbidden, _policy_description(policy, settings)
    now = format_ts(ws.clock())
    return build(now[:23] + "Z"), forbidden, _policy_description(policy, settings)


def _auth_secret(settings: ForumSettings) -> set[str]:
    if settings.auth == "none":
        return set()
    from ircli.errors import SecretsError
    from ircli.secrets import get_secret

    try:
        return {get_secret(settings.secret).reveal()}
    except SecretsError:
        return set()  # not needed for a dry run; submission will ask for it


def _policy_description(policy: Any, settings: ForumSettings) -> dict[str, Any]:
    described: dict[str, Any] = policy.describe()
    described["shared_in_clear"] = [
        f"IP addresses and ASNs of network types: {', '.join(settings.clear_ip_asn_types)}",
        "user agents that name no person, account or email",
        "counts and first/last seen times",
    ]
    described["keyed_hash"] = [
        "account ids (user-account.user_id)",
        "payment fingerprints, system-prompt hashes, prompt-template fingerprints",
        "IP addresses of every other network type (residential proxies, ISPs, mobile)",
        "user agents that contain personal data",
    ]
    described["never_shared"] = [
        "emails, raw prompts and completions, org ids, API key ids, end-user ids, secrets"
    ]
    return described


def _bundle_bytes(bundle: dict[str, Any]) -> bytes:
    return (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _keep_bundle(ws: Workspace, bundle: dict[str, Any]) -> dict[str, str]:
    data = _bundle_bytes(bundle)
    digest = sha256_hex(data)
    folder = ws.store.files_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / f"{digest}.json"
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return {"path": f"reports/{digest}.json", "sha256": digest}


def _write_review(
    out_dir: Path,
    bundles: dict[str, dict[str, Any]],
    policy: dict[str, Any],
    subject: str,
    refusal: str | None,
) -> dict[str, str]:
    from ircli.errors import UsageError

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = {}
        for name, bundle in bundles.items():
            path = out_dir / f"{name}.json"
            path.write_bytes(_bundle_bytes(bundle))
            written[name] = str(path)
        from ircli.intel.report import extension_bundle

        path = out_dir / "extension.json"
        path.write_bytes(_bundle_bytes(extension_bundle()))
        written["extension"] = str(path)
        preview = {"subject": subject, "redaction_policy": policy, "refusal": refusal}
        (out_dir / "preview.json").write_text(json.dumps(preview, indent=2) + "\n")
        written["preview"] = str(out_dir / "preview.json")
    except OSError as exc:
        raise UsageError(
            f"cannot write the review files to {out_dir}: {exc.strerror or exc}"
        ) from None
    return written


def _prepared_at(bundles: dict[str, dict[str, Any]]) -> str:
    for obj in bundles["indicators"]["objects"]:
        if obj.get("type") == "indicator":
            return str(obj["created"])
    for obj in bundles["narrative"]["objects"]:
        if obj.get("type") in ("grouping", "report"):
            return str(obj["created"])
    return ""


CONFIRMING_OPTIONS = ("campaign", "confirmed", "confirm", "distillation")
"""Decision options that mean the campaign is confirmed (a ``report``, not a ``grouping``)."""


def _decided_confirmed(ws: Workspace, incident: str) -> bool:
    confirmed = False
    for event in ws.store.events(incident, types=["decision.recorded"]):
        option = str(event.payload.get("option", "")).lower()
        confirmed = option in CONFIRMING_OPTIONS
    return confirmed


def _requested(ws: Workspace, incident: str, subject: str) -> bool:
    return any(
        e.payload.get("step") == STEP and e.payload.get("subject") == subject
        for e in ws.store.events(incident, types=["approval.requested"])
    )


def latest_prepared(ws: Workspace, incident: str) -> Event | None:
    """The incident's latest ``report.prepared`` event (``None`` before any)."""
    latest = None
    for event in ws.store.events(incident, types=["report.prepared"]):
        latest = event
    return latest


def tlp_refusal(state: Incident, settings: ForumSettings) -> str | None:
    """Why the incident's TLP forbids sharing with the configured collection, or ``None``."""
    if tlp_rank(state.tlp) > tlp_rank(settings.max_tlp):
        return (
            f"{state.id} is marked TLP:{state.tlp}, but the Forum collection is configured for "
            f"TLP:{settings.max_tlp} or lower sharing"
        )
    return None


# -- approving ------------------------------------------------------------------------


def report_approval(ws: Workspace, incident: str) -> ApprovalState:
    """Where the report's approval stands."""
    from ircli.services.approvals import approval_status

    return approval_status(ws, incident, STEP)


def approve_report(
    ws: Workspace, incident: str, *, comment: str = "", subject: str | None = None
) -> ApprovalState:
    """Approve the prepared report as ``ws.actor`` (never its requester); the same as
    ``ircli approve INC report``."""
    from ircli.services.approvals import approve

    return approve(ws, incident, STEP, comment, subject)
