"""Markdown: the incident report as text a lawyer can read and a wiki can render.

Every value that comes from the journal is escaped: HTML-significant characters
become entities and Markdown punctuation is backslash-escaped, so a prompt such as
``<script>`` or ``[click](http://…)`` shows as typed and never becomes markup, a
link or an image. Control characters are shown as visible stand-ins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import ClassVar, TextIO

from ircli.core.timeline import describe
from ircli.export import ExportSource
from ircli.export.fields import visible
from ircli.export.report import ReportFacts, fold

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:<>&])")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def md(value: object, limit: int | None = None) -> str:
    """``value`` as inert Markdown text on one line."""
    flat = " ".join(visible(value).split())
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return _MD_SPECIAL.sub(lambda m: _ENTITIES.get(m.group(1), "\\" + m.group(1)), flat)


def code(value: object) -> str:
    """A value we generated ourselves (hash, time, id) as a code span."""
    flat = str(value).replace("`", "'")
    return f"`{flat}`" if flat else ""


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A GitHub-style table; cells must already be escaped."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def summary_lines(source: ExportSource, facts: ReportFacts) -> list[str]:
    """Header, summary and every section above the timeline."""
    inc = source.incident
    lines = [
        f"> **TLP:{md(inc.tlp)}** — share only as this marking allows.",
        "",
        f"# {code(inc.id)} {md(inc.title)}",
        "",
        *_fields_table(source),
    ]
    lines += ["", "## Summary", "", md(inc.description) or "_No description._", ""]
    if inc.summary:
        lines += [f"**Closing summary:** {md(inc.summary)}", ""]
    totals = facts.ledger_totals()
    lines += [
        f"- Events exported: {facts.events}",
        f"- Decisions: {len(facts.decisions)}; actions: {len(facts.actions)} "
        f"({totals.get('succeeded', 0)} targets succeeded, {totals.get('failed', 0)} failed)",
        f"- Evidence items: {len(facts.evidence)}; Forum reports: {len(facts.reports)}",
        "",
    ]
    lines += _decisions(facts) + _actions(facts) + _evidence(facts) + _analysis(facts)
    if source.indicators:
        lines += ["### Indicators fired (alert and watch accounts)", ""]
        lines += [f"- {md(name)}: {value:g}" for name, value in source.indicators] + [""]
    lines += _reports(facts)
    return lines


def _fields_table(source: ExportSource) -> list[str]:
    inc = source.incident
    return table(
        ["Field", "Value"],
        [
            ["Severity", md(inc.severity)],
            ["Status", md(inc.status)],
            ["Owner", md(inc.owner)],
            ["Playbook", md(inc.playbook or "-")],
            ["Opened", code(inc.created) or "-"],
            ["Closed", code(inc.closed) if inc.closed else "-"],
            ["Subject accounts", str(len(inc.subjects))],
            ["Journal head", f"seq {source.head_seq}, {code(source.head_hash)}"],
            ["Generated", f"{code(source.generated_at)} by {md(source.generator)}"],
            ["Selection", _selection(source)],
        ],
    )


def _selection(source: ExportSource) -> str:
    parts = [f"{key} {md(value)}" for key, value in source.selection.items()]
    if source.redacted:
        parts.append("redacted (Forum policy)")
    return "; ".join(parts) or "every event"


def _decisions(facts: ReportFacts) -> list[str]:
    lines = ["## Decisions", ""]
    if not facts.decisions:
        return [*lines, "_No decisions recorded._", ""]
    rows = []
    for row in facts.decisions:
        approvals = facts.approvers(row.step)
        rows.append(
            [
                code(row.ts[:19]),
                md(row.step or "-"),
                md(row.choice or "-"),
                md(row.rationale or "-", 600),
                md(row.actor),
                md(", ".join(approvals.granted_by) or "-"),
                md(", ".join(approvals.rejected_by) or "-"),
            ]
        )
    lines += table(
        ["Time (UTC)", "Step", "Decision", "Rationale", "By", "Approved by", "Rejected by"], rows
    )
    return [*lines, *_more(facts, "decisions"), ""]


def _actions(facts: ReportFacts) -> list[str]:
    lines = ["## Actions", ""]
    if not facts.actions:
        return [*lines, "_No actions requested._", ""]
    rows = [
        [
            code(row.ts[:19]),
            md(row.kind) + (" (dry run)" if row.dry_run else ""),
            md(row.actor),
            "?" if row.targets is None else str(row.targets),
            str(row.succeeded),
            str(row.failed),
            str(row.skipped),
            "?" if row.pending is None else str(row.pending),
        ]
        for row in facts.actions.values()
    ]
    totals = facts.ledger_totals()
    rows.append(
        ["**Total**", "", ""]
        + [f"**{totals.get(k, 0)}**" for k in ("targets", "succeeded", "failed", "skipped")]
        + [f"**{totals.get('pending', 0)}**"]
    )
    lines += table(
        ["Requested", "Action", "By", "Targets", "Succeeded", "Failed", "Skipped", "Pending"], rows
    )
    return [*lines, *_more(facts, "actions"), ""]


def _evidence(facts: ReportFacts) -> list[str]:
    lines = ["## Evidence", ""]
    if not facts.evidence:
        return [*lines, "_No evidence recorded._", ""]
    rows = [
        [
            md(row.evidence_id or "-"),
            code(row.ts[:19]),
            md(row.source or "-"),
            "?" if row.records is None else str(row.records),
            "-" if row.quarantined is None else str(row.quarantined),
            code(row.sha256) or "-",
            code(row.normalized_sha256) or "-",
        ]
        for row in facts.evidence
    ]
    lines += table(
        [
            "Evidence",
            "Added",
            "Source",
            "Records",
            "Quarantined",
            "SHA-256 (raw)",
            "SHA-256 (normalised)",
        ],
        rows,
    )
    return [*lines, *_more(facts, "evidence"), ""]


def _analysis(facts: ReportFacts) -> list[str]:
    if not facts.analyses:
        return []
    lines = ["## Analysis", ""]
    for row in facts.analyses:
        verdicts = ", ".join(f"{md(k)} {v}" for k, v in row.verdicts.items()) or "-"
        lines.append(
            f"- {code(row.ts[:19])}: {row.accounts if row.accounts is not None else '?'} "
            f"account(s), {row.clusters if row.clusters is not None else '?'} cluster(s); "
            f"verdicts: {verdicts}"
        )
        for name, value in row.indicators:
            lines.append(f"  - {md(name)}: {value:g}")
    return [*lines, ""]


def _reports(facts: ReportFacts) -> list[str]:
    if not facts.reports:
        return []
    rows = [
        [
            code(row.ts[:19]),
            md(row.actor),
            md(row.status_id or "-"),
            md(row.status or "-"),
            "?" if row.objects is None else str(row.objects),
            code(row.bundle_sha256) or "-",
        ]
        for row in facts.reports
    ]
    return [
        "## Forum reports",
        "",
        *table(["Submitted", "By", "Status id", "Status", "Objects", "Bundle SHA-256"], rows),
        "",
    ]


def _more(facts: ReportFacts, section: str) -> list[str]:
    extra = facts.dropped.get(section, 0)
    return ["", f"_… and {extra} more (see the JSONL export)._"] if extra else []


class MarkdownWriter:
    """The incident report in Markdown, timeline included."""

    name: ClassVar[str] = "md"
    suffix: ClassVar[str] = ".md"
    description: ClassVar[str] = "incident report in Markdown"

    def write(self, source: ExportSource, out: TextIO) -> int:
        """Fold the events, print the sections, then stream the timeline."""
        facts = fold(source.events())
        out.write("\n".join(summary_lines(source, facts)) + "\n")
        out.write("## Timeline\n\n| Seq | Time (UTC) | Actor | What |\n|---|---|---|---|\n")
        count = 0
        for event in source.events():
            out.write(
                f"| {event.seq} | {code(event.ts[:19])} | {md(event.actor)} | "
                f"{md(describe(event), 400)} |\n"
            )
            count += 1
        out.write(
            f"\n---\n\nJournal head: seq {source.head_seq}, {code(source.head_hash)}. "
            "Verify the JSONL export of the same incident with `ircli verify --file`.\n\n"
            f"> **TLP:{md(source.incident.tlp)}**\n"
        )
        return count
