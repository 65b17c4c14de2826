"""The built-in playbook step handlers that wrap one service each.

Registered in the ``ircli.steps`` entry-point group exactly as a lab's own handler
would be (``accounts.terminate`` and ``analysis.*`` live beside their services):

- ``evidence.pull`` — preserve evidence from the configured log sources;
- ``intel.match`` — pull the Forum's indicators (when a Forum is configured) and
  record sightings against the incident's evidence;
- ``forum.report`` — build the redacted STIX bundles (the preview the step's approver
  approves), then submit them to the Forum.

Every handler is idempotent, as the step protocol requires: re-running it after a
crash reuses what the first run already recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ircli.core.clock import format_ts, parse_ts
from ircli.errors import ConfigError, ValidationError
from ircli.services.steps import StepContext, StepResult

_DURATION = re.compile(r"^\s*(\d{1,5})\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def _duration(text: Any) -> timedelta:
    match = _DURATION.match(str(text or ""))
    if not match:
        raise ValidationError(f"{str(text)[:40]!r} is not a duration like 14d, 12h or 30m")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _accounts(value: Any) -> list[str]:
    """The ``accounts`` parameter, parsed like the intake form's account field."""
    from ircli.playbooks.forms import parse_accounts

    if not value:
        return []
    try:
        return parse_accounts(value)
    except ValueError as exc:
        raise ValidationError(f"'accounts': {exc}") from None


def _step_started(ctx: StepContext) -> datetime:
    """When this visit of the step started: a stable 'now' across retries of the step."""
    started = None
    for event in ctx.ws.store.events(ctx.incident, types=["step.started"]):
        if event.payload.get("step") == ctx.step.id:
            started = event.ts
    return parse_ts(started) if started else ctx.ws.clock()


class EvidencePullStep:
    """``uses: evidence.pull`` — pull every log source that serves the wanted tables.

    Parameters: ``tables`` (default ``[requests, accounts]``), ``sources`` (default: every
    configured non-TAXII source whose ``table`` is wanted), ``window`` (e.g. ``14d``,
    ending when the step started), ``since``/``until`` (explicit bounds), ``accounts``
    (the seeds) and ``population`` (default true: pull every account's traffic in the
    window, because indicators are measured against peers and linking needs the
    accounts the seeds are linked to; false pulls only the listed accounts).
    """

    def run(self, ctx: StepContext) -> StepResult:
        """Pull (or resume) each source; a pull already finished for the same query is reused."""
        from ircli.services.evidence import list_evidence, pull_evidence

        params = ctx.params
        tables = params.get("tables") or ["requests", "accounts"]
        sources = params.get("sources") or _sources_for(ctx.ws.config.sources, tables)
        if not sources:
            raise ConfigError(
                "no evidence source is configured for tables " + ", ".join(tables),
                hint="add a [sources.NAME] table to ircli.toml (see the README)",
            )
        accounts = _accounts(params.get("accounts"))
        population = params.get("population", True) not in (False, "false", "no", 0)
        until = parse_ts(str(params["until"])) if params.get("until") else _step_started(ctx)
        since = (
            parse_ts(str(params["since"]))
            if params.get("since")
            else until - _duration(params.get("window") or "14d")
        )
        wanted = [] if population else accounts
        done = {
            (
                item.source,
                tuple(item.query.get("accounts", [])),
                item.query.get("since"),
                item.query.get("until"),
            ): item
            for item in list_evidence(ctx.ws, ctx.incident)
            if item.status == "complete"
        }
        items = []
        for index, source in enumerate(sources):
            ctx.progress(index / len(sources), f"pulling {source}")
            key = (source, tuple(sorted(wanted)), format_ts(since), format_ts(until))
            item = done.get(key)
            if item is None:
                item = pull_evidence(
                    ctx.ws,
                    ctx.incident,
                    source,
                    accounts=wanted,
                    since=since,
                    until=until,
                    cancel=ctx.cancel.is_set,
                )
            items.append(item)
        records = sum(item.records for item in items)
        quarantined = sum(item.quarantined for item in items)
        return StepResult(
            outputs={
                "evidence": [item.id for item in items],
                "records": records,
                "quarantined": quarantined,
                "since": format_ts(since),
                "until": format_ts(until),
            },
            summary=f"preserved {records} record(s) in {len(items)} evidence item(s)"
            + (f", {quarantined} quarantined" if quarantined else ""),
        )


def _sources_for(sources: Mapping[str, Mapping[str, Any]], tables: list[str]) -> list[str]:
    return [
        name
        for name, table in sources.items()
        if table.get("type") != "taxii" and str(table.get("table", "requests")) in tables
    ]


class IntelMatchStep:
    """``uses: intel.match`` — refresh the Forum's indicators and record sightings.

    With no ``[forum]`` configured the step still matches indicators already pulled (none,
    on a fresh incident) and says so: intel is an aid to the decision, not a gate.
    """

    def run(self, ctx: StepContext) -> StepResult:
        """Pull new indicators (incrementally) when a Forum is configured, then match."""
        from ircli.services.intel import intel_variables, match_intel, pull_intel

        pulled = None
        if ctx.ws.config.forum or any(
            t.get("type") == "taxii" for t in ctx.ws.config.sources.values()
        ):
            ctx.progress(None, "pulling Forum indicators")
            pulled = pull_intel(ctx.ws, ctx.incident)
        ctx.progress(None, "matching indicators against the evidence")
        sightings = match_intel(ctx.ws, ctx.incident)
        outputs = intel_variables(ctx.ws, ctx.incident)
        outputs["intel_pulled"] = pulled.indicators if pulled else 0
        if pulled is None:
            summary = f"no Forum configured; {len(sightings)} sighting(s) from earlier pulls"
        else:
            summary = f"{pulled.indicators} indicator(s) pulled, {len(sightings)} sighting(s)"
        return StepResult(outputs=outputs, summary=summary)


class ForumReportStep:
    """``uses: forum.report`` — the Forum report as a playbook action.

    The preview is the pair of redacted bundles (their hashes, object counts and the
    redaction policy); the playbook's approvals bind to it, so the engine enforces the
    two-person rule and the report service does not ask again.
    """

    def preview(self, ctx: StepContext) -> dict[str, Any]:
        """Build (and keep) the bundles; what the approver approves is their hash."""
        from ircli.services.forum import prepare_report

        prepared = prepare_report(ctx.ws, ctx.incident, own_approval=False)
        return {
            "subject": prepared.subject,
            "objects": prepared.objects,
            "tlp": prepared.tlp,
            "confirmed": prepared.confirmed,
            "policy": prepared.policy,
            "submittable": prepared.submittable,
            "refusal": prepared.refusal,
        }

    def run(self, ctx: StepContext) -> StepResult:
        """Submit what is not yet delivered; re-running sends only what failed."""
        from ircli.services.forum import prepare_report
        from ircli.services.report_submission import submit_report

        prepare_report(ctx.ws, ctx.incident, own_approval=False)
        done = submit_report(ctx.ws, ctx.incident, own_approval=False)
        return StepResult(
            outputs={
                "delivered": done.delivered,
                "total": done.total,
                "status_ids": list(done.status_ids),
            },
            summary=f"Forum report submitted: {done.delivered} of {done.total} object(s) stored",
        )
