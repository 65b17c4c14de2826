"""The playbook ``action`` step ``accounts.terminate``: the same service as ``ircli act``.

Registered in the ``ircli.steps`` entry-point group. The playbook engine asks for the
:meth:`TerminateStep.preview` (its hash is what the step's approvers approve), then calls
:meth:`TerminateStep.run` once approved; the engine enforces the step's approvals, so
the service is called with ``own_approval=False`` and does not ask a second time.

Step parameters (``with:``): ``action`` (the ``[actions.NAME]``; default: the step id or
the only action configured), ``targets`` (a file), ``accounts`` (a list), ``cluster``,
``verdict`` (extra verdicts to include besides ``alert``), ``accounts_table``,
``allowlist``, ``override_reason``, ``rollback``. Without ``targets`` or ``accounts``,
the incident's latest analysis result is used (its ``accounts[]`` verdicts and clusters).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ircli.errors import PartialFailureError, ValidationError
from ircli.services.containment import TargetRequest, execute_action, preview_action


def target_request(params: Mapping[str, Any], variables: Mapping[str, Any]) -> TargetRequest:
    """The step's ``with:`` parameters as a target request."""

    def text(key: str) -> str | None:
        value = params.get(key)
        if value in (None, ""):
            return None
        if not isinstance(value, str | int):
            raise ValidationError(f"accounts.terminate: '{key}' must be text")
        return str(value)

    accounts = params.get("accounts") or []
    if isinstance(accounts, str):
        accounts = [a for a in accounts.replace("\n", ",").split(",") if a.strip()]
    if not isinstance(accounts, list):
        raise ValidationError("accounts.terminate: 'accounts' must be a list")
    verdicts = params.get("verdict") or []
    verdicts = [verdicts] if isinstance(verdicts, str) else list(verdicts)
    targets = text("targets")
    analysis = None
    if targets is None and not accounts:
        found = variables.get("analysis")
        if isinstance(found, Mapping) and isinstance(found.get("accounts"), list):
            analysis = {"accounts": list(found["accounts"])}
        elif isinstance(found, Mapping) and isinstance(found.get("alert_account_ids"), list):
            # The analyze step's summary names the alerting accounts (its verdict: alert).
            given = found.get("cluster")
            cluster: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
            members = set(cluster.get("accounts") or [])
            analysis = {
                "accounts": [
                    {
                        "account_id": str(a),
                        "verdict": "alert",
                        "cluster_id": cluster.get("cluster_id") if a in members else None,
                    }
                    for a in found["alert_account_ids"]
                ]
            }
    return TargetRequest(
        targets_file=Path(targets) if targets else None,
        accounts=tuple(str(a).strip() for a in accounts),
        analysis=analysis,
        # Nothing given and no analysis in the run: the incident's latest analysis result.
        incident_analysis=targets is None and not accounts and analysis is None,
        accounts_file=Path(p) if (p := text("accounts_table")) else None,
        allowlist_file=Path(p) if (p := text("allowlist")) else None,
        include_verdicts=tuple(v for v in verdicts if v != "alert"),
        cluster=text("cluster"),
        override_reason=text("override_reason"),
    )


def _request_for(ctx: Any) -> TargetRequest:
    """The step's request; contract flags come from the incident's accounts evidence
    when the step names no accounts table."""
    request = target_request(ctx.params, ctx.variables)
    if request.accounts_file is None:
        from dataclasses import replace

        from ircli.services.intel import evidence_files

        _, accounts_tables = evidence_files(ctx.ws, ctx.incident)
        if accounts_tables:
            request = replace(request, accounts_file=accounts_tables[-1])
    return request


class TerminateStep:
    """``uses: accounts.terminate`` — preview, then run, through the containment service."""

    def preview(self, ctx: Any) -> dict[str, Any]:
        """The saved preview (stable between calls, so its hash can be approved)."""
        view = preview_action(
            ctx.ws,
            ctx.incident,
            ctx.step.id,
            _request_for(ctx),
            action=ctx.params.get("action") or None,
            rollback=bool(ctx.params.get("rollback", False)),
            own_approval=False,
        )
        return {
            "preview_hash": view.preview_hash,
            "summary": view.preview.summary(),
            "targets": list(view.preview.targets),
            "excluded": list(view.preview.excluded),
        }

    def run(self, ctx: Any) -> Any:
        """Act on the approved preview; resumable (the ledger says what is left)."""

        def progress(done: int, total: int) -> None:
            ctx.progress(done / total if total else None, f"{done} of {total} accounts")

        result = execute_action(
            ctx.ws,
            ctx.incident,
            ctx.step.id,
            _request_for(ctx),
            action=ctx.params.get("action") or None,
            rollback=bool(ctx.params.get("rollback", False)),
            own_approval=False,
            on_progress=progress,
            cancel=ctx.cancel,
        )
        if result.failed:
            raise PartialFailureError(
                f"{result.failed} of {len(result.view.preview.targets)} account(s) failed",
                hint="run the playbook again to retry them",
            )
        counts = result.counts
        outputs = {"preview_hash": result.view.preview_hash, "ledger": counts}
        summary = (
            f"{counts.get('succeeded', 0)} account(s) done, {counts.get('skipped', 0)} skipped"
        )
        try:
            from ircli.services.steps import StepResult  # type: ignore[import-not-found,unused-ignore]
        except ImportError:  # the playbook engine is not installed: same shape, plain object
            return StepOutcome(outputs, summary)
        return StepResult(outputs=outputs, summary=summary)


@dataclass
class StepOutcome:
    """What :meth:`TerminateStep.run` returns where the playbook engine's type is absent."""

    outputs: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
