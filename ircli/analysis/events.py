"""The journal event of an analysis, and its line in the timeline."""

from __future__ import annotations

from typing import Any

from ircli.core.timeline import describes

ANALYSIS_COMPLETED = "analysis.completed"


@describes(ANALYSIS_COMPLETED, "Analysis completed")
def _describe(p: dict[str, Any]) -> str:
    s = p.get("summary", {})
    v = s.get("verdicts", {})
    return (
        f"Analysis {p.get('analysis_id', '')}: {s.get('accounts', 0)} accounts, "
        f"{v.get('alert', 0)} alert, {v.get('watch', 0)} watch, {v.get('policy', 0)} policy; "
        f"{s.get('clusters', 0)} clusters"
    )
