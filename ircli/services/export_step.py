"""The playbook ``export`` step: ``uses: timeline.export``.

Parameters (``with:``): ``format`` (default ``html``), ``path`` (default: a file in the
store's folder, named after the incident, step and visit), and the export filters
``redact``, ``types``, ``since``, ``until``. Re-running the same visit rewrites the same
file, so the step is idempotent.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ircli.errors import ValidationError
from ircli.services.export import export_timeline
from ircli.services.steps import StepContext, StepResult


class TimelineExportStep:
    """Step handler that exports the incident's timeline."""

    def run(self, ctx: StepContext) -> StepResult:
        """Export once; the outputs name the file and its SHA-256."""
        from ircli.export import writer_for

        params = ctx.params
        fmt = str(params.get("format") or "html")
        writer = writer_for(fmt)
        path = _path(ctx, writer.suffix)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        ctx.progress(None, f"exporting the timeline as {writer.name}")
        result = export_timeline(
            ctx.ws,
            ctx.incident,
            writer.name,
            path,
            since=_text(params.get("since")),
            until=_text(params.get("until")),
            types=_types(params.get("types")),
            redact=params.get("redact") is True,
        )
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        ctx.progress(1.0, f"exported {result.events} event(s)")
        return StepResult(
            {**result.to_dict(), "path": str(path), "sha256": digest},
            summary=f"Exported {result.events} event(s) as {writer.name} to {path.name}",
        )


def _path(ctx: StepContext, suffix: str) -> Path:
    given = ctx.params.get("path")
    if given:
        return Path(str(given)).expanduser()
    name = f"{ctx.incident}-{ctx.step.id}-{ctx.visit}{suffix}"
    return ctx.ws.store.files_dir / "exports" / name


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _types(value: Any) -> list[str] | None:
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(part) for part in value]
    raise ValidationError("the export step's 'types' must be a list or a comma-separated string")
