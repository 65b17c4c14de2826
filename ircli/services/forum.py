"""The Forum report as a response action: prepare (dry run), approve, submit, resubmit.

- :func:`prepare_report` builds both bundles, refuses if any raw identifier would leak,
  keeps them as content-addressed files, writes them for review, and requests one
  approval bound to their hashes (``report.prepared`` + ``approval.requested``, step
  ``report``). Preparing again with nothing changed records nothing new.
- :func:`approve_report` is the second responder's approval (two-person rule), through
  :mod:`ircli.services.approvals` (``ircli approve INC report`` does the same).
- :func:`submit_report` POSTs what is not yet delivered to the Forum collection, polls each
  status resource to completion within the deadline and journals ``report.posted`` then
  ``report.submitted``. A re-run first finishes polling what was posted, then sends only
  the objects that failed (same ids). Nothing is journaled as submitted unless the
  server's status said so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ircli.core.approvals import (
    ApprovalState,
    approval_state,
    approval_subject,
)
from ircli.core.canonical import sha256_hex
from ircli.core.clock import format_ts
from ircli.core.events import Event
from ircli.core.incident import Incident
from ircli.errors import (
    ExternalServiceError,
    IntegrityError,
    NotFoundError,
    PartialFailureError,
    RefusedError,
    WaitingError,
)
from ircli.intel.settings import ForumSettings, forum_settings, tlp_rank
from ircli.services.incidents import get_incident
from ircli.services.intel import evidence_files, forum_policy, intel_sightings
from ircli.services.workspace import Workspace

if TYPE_CHECKING:
    import httpx

    from ircli.intel.taxii import Status, TaxiiClient

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


@dataclass
class Submission:
    """Where a submission stands after :func:`submit_report`."""

    incident: str
    subject: str
    sent: dict[str, int] = field(default_factory=dict)
    delivered: int = 0
    total: int = 0
    status_ids: list[str] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every object of both bundles is on the server."""
        return self.delivered == self.total and not self.failures

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``--json``)."""
        return {
            "incident": self.incident,
            "subject": self.subject,
            "sent": self.sent,
            "delivered": self.delivered,
            "total": self.total,
            "status_ids": self.status_ids,
            "failures": self.failures,
            "complete": self.complete,
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
    previous = _latest_prepared(ws, state.id)
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
    refusal = _tlp_refusal(state, settings)
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


def _latest_prepared(ws: Workspace, incident: str) -> Event | None:
    latest = None
    for event in ws.store.events(incident, types=["report.prepared"]):
        latest = event
    return latest


def _tlp_refusal(state: Incident, settings: ForumSettings) -> str | None:
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


# -- submitting -----------------------------------------------------------------------


def submit_report(
    ws: Workspace,
    incident: str,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] | None = None,
    own_approval: bool = True,
) -> Submission:
    """Send what is not yet delivered, poll to completion, journal the outcome.

    ``own_approval=False``: the caller (a playbook step) has checked its own approval of
    exactly this preparation.
    """
    state = get_incident(ws, incident)
    settings = forum_settings(ws.config.forum)
    refusal = _tlp_refusal(state, settings)
    if refusal:
        raise RefusedError(
            f"refused: {refusal}",
            hint="share it out of band, or lower the incident's TLP if its owner agrees",
        )
    prepared = _latest_prepared(ws, state.id)
    if prepared is None:
        raise NotFoundError(
            f"{state.id} has no prepared Forum report",
            hint=f"prepare it first: ircli report {state.id} --dry-run -o DIR",
        )
    subject = str(prepared.payload["subject"])
    approval = approval_state(ws.store.events(state.id), STEP)
    if own_approval and (approval.subject != subject or not approval.satisfied):
        raise WaitingError(
            f"the Forum report of {state.id} waits for approval by another responder",
            hint=f"ask a second responder: ircli report {state.id} --approve --as NAME",
            record={"incident": state.id, "step": STEP, "subject": subject},
            approval=True,
        )
    bundles = _load_bundles(ws, prepared.payload)
    result = Submission(state.id, subject)
    result.total = len({o["id"] for b in bundles.values() for o in b})
    with settings.client(transport=transport, sleep=sleep) as client:
        _finish_posted(ws, state.id, client, settings, subject)
        delivered, failures = _delivery(ws, state.id, subject)
        remaining = {o["id"] for b in bundles.values() for o in b} - delivered
        present = _already_present(client, settings, bundles, remaining) if remaining else set()
        delivered |= present
        limit = 0
        if remaining - present:
            _check_collection(client, settings.api_root, settings.collection, "can_write")
            limit = _envelope_limit(client, settings)
        for name in BUNDLES:
            todo = [o for o in bundles[name] if o["id"] not in delivered]
            for chunk in _chunks(todo, limit):
                status = _post(ws, state.id, client, settings, subject, name, chunk)
                result.status_ids.append(status)
                result.sent[name] = result.sent.get(name, 0) + len(chunk)
                delivered, failures = _delivery(ws, state.id, subject)
                delivered |= present
    result.delivered = len(delivered & {o["id"] for b in bundles.values() for o in b})
    result.failures = [f for f in failures if f["id"] not in delivered]
    if not result.complete:
        raise PartialFailureError(
            f"the Forum stored {result.delivered} of {result.total} objects; "
            f"{len(result.failures)} failed: "
            + "; ".join(
                f"{f['id']} ({f['message'] or 'no reason given'})" for f in result.failures[:5]
            ),
            hint=f"fix the cause, then re-run 'ircli report {state.id} --execute': only the "
            "failed objects are sent again, with the same ids",
        )
    return result


def _load_bundles(ws: Workspace, payload: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name in BUNDLES:
        info = payload["bundles"][name]
        path = ws.store.files_dir / str(info["path"])
        try:
            data = path.read_bytes()
        except OSError:
            raise IntegrityError(
                f"the prepared {name} bundle is missing ({info['path']})",
                hint="prepare the report again with --dry-run (a new approval is needed)",
            ) from None
        if sha256_hex(data) != info["sha256"]:
            raise IntegrityError(
                f"the prepared {name} bundle was altered after approval ({info['path']})",
                hint="prepare the report again with --dry-run (a new approval is needed)",
            )
        out[name] = list(json.loads(data)["objects"])
    return out


def _delivery(ws: Workspace, incident: str, subject: str) -> tuple[set[str], list[dict[str, str]]]:
    """Object ids the server confirmed, and the failures not since fixed."""
    delivered: set[str] = set()
    failures: dict[str, dict[str, str]] = {}
    for event in ws.store.events(incident, types=["report.submitted"]):
        if event.payload.get("subject") != subject:
            continue
        for ident in event.payload.get("successes", []):
            delivered.add(ident)
            failures.pop(ident, None)
        for failure in event.payload.get("failures", []):
            if failure["id"] not in delivered:
                failures[failure["id"]] = dict(failure)
    return delivered, list(failures.values())


def _finish_posted(
    ws: Workspace, incident: str, client: TaxiiClient, settings: ForumSettings, subject: str
) -> None:
    """Poll statuses posted earlier whose outcome was never recorded (a timeout, a crash)."""
    posted: dict[str, dict[str, Any]] = {}
    kinds = ["report.posted", "report.submitted", "report.status_lost"]
    for event in ws.store.events(incident, types=kinds):
        if event.payload.get("subject") != subject:
            continue
        if event.type == "report.posted":
            posted[str(event.payload["status_id"])] = event.payload
        else:
            posted.pop(str(event.payload["status_id"]), None)
    from ircli.intel.taxii import TaxiiError

    for status_id, payload in posted.items():
        try:
            status = client.wait_for_status(
                settings.api_root,
                status_id,
                deadline=settings.deadline_seconds,
                interval=settings.poll_interval_seconds,
            )
        except TaxiiError as exc:
            if exc.status != 404:
                raise
            # The server forgot the status (restarted, expired): its objects count as not
            # delivered and are sent again below, under the same ids.
            ws.store.append(
                incident,
                "report.status_lost",
                {"subject": subject, "bundle": payload["bundle"], "status_id": status_id},
                ws.actor,
            )
            continue
        _record_status(
            ws, incident, subject, str(payload["bundle"]), list(payload["object_ids"]), status
        )


def _already_present(
    client: TaxiiClient,
    settings: ForumSettings,
    bundles: dict[str, list[dict[str, Any]]],
    wanted: set[str],
) -> set[str]:
    """Ids whose exact version the collection already holds (shared objects such as the
    identity, markings and SCOs, sent by an earlier report); a server that refuses reads
    simply gets everything sent."""
    versions = {
        o["id"]: o.get("modified") for b in bundles.values() for o in b if o["id"] in wanted
    }
    present: set[str] = set()
    ids = sorted(versions)
    try:
        for start in range(0, len(ids), 50):
            batch = ids[start : start + 50]
            for page in client.pages(
                settings.api_root, settings.collection, ids=tuple(batch), versions="all"
            ):
                for obj in page.objects:
                    ident = obj.get("id")
                    if ident in versions and obj.get("modified") == versions[ident]:
                        present.add(str(ident))
    except ExternalServiceError:
        return set()
    return present


def _check_collection(client: TaxiiClient, api_root: str, collection: str, right: str) -> None:
    """Refuse early, with a clear line, a collection this account may not use."""
    info = client.collection(api_root, collection)
    if info.get(right) is not True:
        verb = "write to" if right == "can_write" else "read"
        raise ExternalServiceError(
            f"the TAXII collection {collection} does not let this account {verb} it "
            f"({right} is not true)",
            hint="ask the Forum operator for access, or check [forum] collection",
        )


def _envelope_limit(client: TaxiiClient, settings: ForumSettings) -> int:
    info = client.api_root(settings.api_root)
    limit = int(info["max_content_length"])
    if settings.max_envelope_bytes:
        limit = min(limit, settings.max_envelope_bytes)
    return limit


def _chunks(objects: list[dict[str, Any]], limit: int) -> list[list[dict[str, Any]]]:
    """Split objects into envelopes whose JSON stays under ``limit`` bytes."""
    chunks: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = len(b'{"objects": []}')
    for obj in objects:
        item = len(json.dumps(obj, ensure_ascii=False).encode("utf-8")) + 2
        if item + len(b'{"objects": []}') > limit:
            raise RefusedError(
                f"object {obj['id']} alone is larger than the server's limit of {limit} bytes",
                hint="the Forum server's max_content_length is too small for this report",
            )
        if current and size + item > limit:
            chunks.append(current)
            current, size = [], len(b'{"objects": []}')
        current.append(obj)
        size += item
    if current:
        chunks.append(current)
    return chunks


def _post(
    ws: Workspace,
    incident: str,
    client: TaxiiClient,
    settings: ForumSettings,
    subject: str,
    bundle: str,
    objects: list[dict[str, Any]],
) -> str:
    ids = [o["id"] for o in objects]
    try:
        status = client.add_objects(settings.api_root, settings.collection, objects)
    except ExternalServiceError as exc:
        ws.store.append(
            incident,
            "report.attempt_failed",
            {"subject": subject, "bundle": bundle, "error": exc.message[:300]},
            ws.actor,
        )
        raise
    ws.store.append(
        incident,
        "report.posted",
        {"subject": subject, "bundle": bundle, "status_id": status.id, "object_ids": ids},
        ws.actor,
    )
    final = client.wait_for_status(
        settings.api_root,
        status.id,
        deadline=settings.deadline_seconds,
        interval=settings.poll_interval_seconds,
        first=status,
    )
    _record_status(ws, incident, subject, bundle, ids, final)
    return status.id


def _record_status(
    ws: Workspace, incident: str, subject: str, bundle: str, ids: list[str], status: Status
) -> None:
    sent = set(ids)
    failed = {f["id"] for f in status.failures}
    # A server may leave ``successes`` out; then everything sent that did not fail succeeded.
    successes = [i for i in status.successes if i in sent] or [
        i for i in ids if i not in failed and i not in set(status.pendings)
    ]
    ws.store.append(
        incident,
        "report.submitted",
        {
            "subject": subject,
            "bundle": bundle,
            "status_id": status.id,
            "success_count": status.success_count,
            "failure_count": status.failure_count,
            "pending_count": status.pending_count,
            "successes": successes,
            "failures": [f for f in status.failures if f["id"] in sent],
            "object_ids": ids,
        },
        ws.actor,
    )


def report_state(ws: Workspace, incident: str) -> dict[str, Any]:
    """The report's state: prepared subject, approval and delivery."""
    state = get_incident(ws, incident)
    prepared = _latest_prepared(ws, state.id)
    if prepared is None:
        return {"incident": state.id, "prepared": False}
    subject = str(prepared.payload["subject"])
    delivered, failures = _delivery(ws, state.id, subject)
    total = sum(int(b.get("objects", 0)) for b in prepared.payload["bundles"].values())
    return {
        "incident": state.id,
        "prepared": True,
        "subject": subject,
        "approval": report_approval(ws, state.id).to_dict(),
        "delivered": len(delivered),
        "objects": total,
        "failures": failures,
    }
