"""``ircli act INC STEP``: preview, approve, execute and roll back a response action."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ircli.cli.context import workspace
from ircli.cli.output import emit_fields, emit_json, emit_table, info, json_option
from ircli.errors import PartialFailureError, UsageError

if TYPE_CHECKING:
    from ircli.services.containment import ActionRun, ActionView

FILE = click.Path(path_type=Path, dir_okay=False, exists=True)


@click.command()
@click.argument("incident_id", metavar="INC")
@click.argument("step")
@click.option(
    "--dry-run/--execute",
    "dry_run",
    default=True,
    help="Preview only (the default), or act for real on the approved preview.",
)
@click.option("--rollback", is_flag=True, help="Undo what this step's action did (reactivate).")
@click.option("--action", "action_name", metavar="NAME", help="The [actions.NAME] to run.")
@click.option("--targets", "targets_file", type=FILE, help="Analysis result JSON or a list file.")
@click.option("--account", "accounts", multiple=True, metavar="ID", help="A target (repeat).")
@click.option("--from-analysis", is_flag=True, help="Targets from the incident's latest analysis.")
@click.option("--accounts-table", type=FILE, help="Accounts table (Parquet/JSONL) with flags.")
@click.option("--allowlist", type=FILE, help="Accounts never to touch, one per line.")
@click.option("--include-verdict", multiple=True, metavar="V", help="Also act on verdict V.")
@click.option("--cluster", metavar="ID", help="Only the accounts of this analysis cluster.")
@click.option("--override-ceiling", is_flag=True, help="Allow more targets than the ceiling.")
@click.option("--reason", metavar="TEXT", help="Why the ceiling is overridden (required with it).")
@click.option("--approve", is_flag=True, help="Approve the saved preview (as --as NAME).")
@click.option("--reject", is_flag=True, help="Reject the saved preview.")
@click.option("--preview-hash", metavar="HASH", help="The preview you reviewed (prefix is fine).")
@click.option("--comment", default="", help="Comment for --approve/--reject.")
@click.option("--status", is_flag=True, help="Show the ledger of this step.")
@click.option(
    "--export",
    "export_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the full preview (targets, exclusions, reasons) as JSON to a file.",
)
@json_option
def act(
    incident_id: str,
    step: str,
    dry_run: bool,
    rollback: bool,
    action_name: str | None,
    targets_file: Path | None,
    accounts: tuple[str, ...],
    from_analysis: bool,
    accounts_table: Path | None,
    allowlist: Path | None,
    include_verdict: tuple[str, ...],
    cluster: str | None,
    override_ceiling: bool,
    reason: str | None,
    approve: bool,
    reject: bool,
    preview_hash: str | None,
    comment: str,
    status: bool,
    export_path: Path | None,
    as_json: bool,
) -> None:
    """Terminate accounts (or revoke keys) for STEP of incident INC.

    Without --execute, shows and saves the dry-run preview: targets, and the accounts
    left alone with the reason. Another responder approves it with --approve; then
    --execute acts, and re-running --execute after any interruption resumes.
    Exits 9 when some targets failed, 11 while approvals are missing, 12 when refused.
    """
    from ircli.services import containment as svc

    if override_ceiling and not reason:
        raise UsageError("--override-ceiling needs --reason TEXT", hint="say why, for the record")
    if reason and not override_ceiling:
        raise UsageError("--reason goes with --override-ceiling")
    if approve and reject:
        raise UsageError("choose --approve or --reject, not both")
    ws = workspace()
    if approve or reject:
        state = svc.approve_action(
            ws,
            incident_id,
            step,
            rollback=rollback,
            preview_hash=preview_hash,
            comment=comment,
            reject=reject,
        )
        if as_json:
            emit_json(state.to_dict())
        else:
            verb = "rejected" if reject else "approved"
            info(
                f"{ws.actor} {verb} preview {str(state.subject)[:12]} of step '{step}'; "
                f"{state.missing} more approval(s) needed"
            )
        return
    if status:
        emit_status(svc.action_status(ws, incident_id, step, rollback=rollback), as_json)
        return
    request = svc.TargetRequest(
        targets_file=targets_file,
        accounts=accounts,
        incident_analysis=from_analysis,
        accounts_file=accounts_table,
        allowlist_file=allowlist,
        include_verdicts=include_verdict,
        cluster=cluster,
        override_reason=reason if override_ceiling else None,
    )
    if dry_run:
        view = svc.preview_action(
            ws, incident_id, step, request, action=action_name, rollback=rollback
        )
        if export_path is not None:
            export_path.write_text(json.dumps(view.to_dict(), indent=2) + "\n", encoding="utf-8")
            info(f"preview written to {export_path}")
        emit_preview(view, as_json)
        return
    with progress_bar(enabled=not as_json) as on_progress:
        run = svc.execute_action(
            ws,
            incident_id,
            step,
            request,
            action=action_name,
            rollback=rollback,
            on_progress=on_progress,
        )
    emit_run(run, as_json)
    if run.failed:
        raise PartialFailureError(
            f"{run.failed} of {len(run.view.preview.targets)} target(s) failed",
            hint="see the failures above; re-run the same command to retry them",
        )


def emit_preview(view: ActionView, as_json: bool) -> None:
    """The dry-run preview: JSON, or a summary and the exclusions with reasons."""
    if as_json:
        emit_json(view.to_dict())
        return
    summary = view.preview.summary()
    approval = view.approval
    emit_fields(
        [
            ("incident", view.incident),
            ("step", f"{view.preview.step} ({view.preview.mode}, action {view.preview.action})"),
            ("preview", view.preview_hash),
            ("targets", summary["targets"]),
            ("excluded", summary["excluded"]),
            ("ceiling", summary["ceiling"]),
            ("approvals", _approval_line(approval)),
            ("ledger", ", ".join(f"{v} {k}" for k, v in view.counts.items() if v)),
        ]
    )
    if view.preview.excluded:
        emit_table(
            [(e["account"], e["reason"]) for e in view.preview.excluded[:50]],
            ["excluded account", "reason"],
        )
        if len(view.preview.excluded) > 50:
            info(f"… and {len(view.preview.excluded) - 50} more (use --json or --export)")
    if summary["over_ceiling"] and not summary["override"]:
        info(
            f"warning: {summary['targets']} targets exceed the ceiling of {summary['ceiling']}; "
            "--execute will refuse without --override-ceiling --reason TEXT"
        )
    if view.saved:
        info(f"saved preview {view.preview_hash[:12]} in {view.incident}")
    info(
        f"next: ircli act {view.incident} {view.preview.step}"
        + (" --rollback" if view.preview.mode == "rollback" else "")
        + " --execute"
    )


def _approval_line(approval: Any) -> str:
    if approval is None:
        return "not required"
    granted = ", ".join(approval.granted_by) or "none yet"
    return f"{len(approval.granted_by)}/{approval.required} ({granted})"


def emit_run(run: ActionRun, as_json: bool) -> None:
    """The end-of-run summary."""
    if as_json:
        emit_json(run.to_dict())
        return
    totals = run.totals
    emit_fields(
        [
            ("incident", run.view.incident),
            ("step", f"{run.view.preview.step} ({run.view.preview.mode})"),
            (
                "this run",
                f"{totals.succeeded} succeeded, {totals.skipped} skipped, "
                f"{totals.failed} failed of {totals.targets} "
                f"({totals.resumed} resumed, {totals.retries} retries, "
                f"{totals.elapsed:.1f}s)",
            ),
            ("ledger", ", ".join(f"{v} {k}" for k, v in run.counts.items() if v)),
        ]
    )
    if run.failures:
        emit_table(
            [(f["account"], f.get("reason", "")) for f in run.failures[:50]],
            ["failed account", "reason"],
        )


def emit_status(status: dict[str, Any], as_json: bool) -> None:
    """The ledger of one step."""
    if as_json:
        emit_json(status)
        return
    emit_fields(
        [
            ("incident", status["incident"]),
            ("step", f"{status['step']} ({status['mode']})"),
            ("ledger", ", ".join(f"{v} {k}" for k, v in status["counts"].items() if v)),
        ]
    )
    unsettled = [t for t in status["targets"] if t["state"] not in ("succeeded", "skipped")]
    if unsettled:
        emit_table(
            [(t["account"], t["state"], t.get("reason", "")) for t in unsettled[:50]],
            ["account", "state", "reason"],
        )


@contextmanager
def progress_bar(*, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing when piped."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    bar: Any = None
    seen = 0

    def update(done: int, total: int) -> None:
        nonlocal bar, seen
        if bar is None:
            bar = click.progressbar(length=total, label="acting", file=sys.stderr)
            bar.__enter__()
        bar.update(done - seen)
        seen = done

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
