"""Sending the prepared Forum report: submit, poll, resubmit what failed.

:func:`submit_report` POSTs what is not yet delivered to the Forum collection, polls each
status resource to completion within the deadline and journals ``report.posted`` then
``report.submitted``. A re-run first finishes polling what was posted, then sends only the
objects that failed (same ids). Nothing is journaled as submitted unless the server's
status said so. Preparing and approving are in :mod:`ircli.services.forum`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ircli.core.approvals import (
    approval_state,
)
from ircli.core.canonical import sha256_hex
from ircli.errors import (
    ExternalServiceError,
    IntegrityError,
    NotFoundError,
    PartialFailureError,
    RefusedError,
    WaitingError,
)
from ircli.intel.settings import ForumSettings, forum_settings
from ircli.services.incidents import get_incident
from ircli.services.workspace import Workspace

if TYPE_CHECKING:
    import httpx

    from ircli.intel.taxii import Status, TaxiiClient

from ircli.services.forum import (
    BUNDLES,
    STEP,
    latest_prepared,
    report_approval,
    tlp_refusal,
)


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
    refusal = tlp_refusal(state, settings)
    if refusal:
        raise RefusedError(
            f"refused: {refusal}",
            hint="share it out of band, or lower the incident's TLP if its owner agrees",
        )
    prepared = latest_prepared(ws, state.id)
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
    prepared = latest_prepared(ws, state.id)
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
