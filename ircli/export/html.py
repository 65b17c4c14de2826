"""The self-contained HTML incident report.

One file with its styles inline, charts as inline SVG, and no script at all; a
Content-Security-Policy forbids the page from loading anything, so even a value
that slipped through escaping could not fetch or run. Every journal value is
HTML-escaped (and control characters made visible) before it reaches the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import ClassVar, TextIO

from ircli.core.timeline import describe
from ircli.export import ExportSource
from ircli.export.charts import bar_chart, column_chart
from ircli.export.fields import visible
from ircli.export.report import ReportFacts, fold

TLP_COLORS = {
    "CLEAR": "#ffffff",
    "GREEN": "#33ff00",
    "AMBER": "#ffc000",
    "AMBER+STRICT": "#ffc000",
    "RED": "#ff2b2b",
}
TLP_MEANING = {
    "CLEAR": "Disclosure is not limited.",
    "GREEN": "Limited disclosure, restricted to the community.",
    "AMBER": "Limited disclosure, restricted to participants' organisations and their clients.",
    "AMBER+STRICT": "Limited disclosure, restricted to participants' organisation only.",
    "RED": "For the eyes and ears of individual recipients only, no further disclosure.",
}

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"

STYLE = """
:root { --ink:#1b2631; --muted:#5d6d7e; --line:#d5dbe1; --soft:#f4f6f8; --accent:#2f5d8a; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
  color:var(--ink); background:#fff; }
.tlp { background:#000; font:700 13px/1 ui-monospace,"DejaVu Sans Mono",monospace;
  padding:8px 32px; letter-spacing:.08em; display:flex; gap:16px; align-items:center; }
.tlp span.meaning { color:#ddd; font-weight:400; letter-spacing:0; }
header { padding:24px 32px 8px; border-bottom:1px solid var(--line); }
header .id { color:var(--muted); font:600 13px ui-monospace,"DejaVu Sans Mono",monospace; }
h1 { margin:4px 0 10px; font-size:24px; overflow-wrap:anywhere; }
h2 { font-size:17px; margin:28px 0 10px; padding-bottom:4px; border-bottom:2px solid var(--accent); }
main { padding:0 32px 24px; max-width:1280px; }
.badges span { display:inline-block; padding:2px 8px; margin-right:6px; border-radius:10px;
  font-size:12px; font-weight:600; background:var(--soft); border:1px solid var(--line); }
.badges .sev1,.badges .sev2 { background:#fdecea; border-color:#f5b7b1; color:#922b21; }
.badges .open { background:#eaf2fb; border-color:#aed6f1; color:#1b4f72; }
.badges .closed { background:#eafaf1; border-color:#a9dfbf; color:#1d6b3b; }
.badges .redacted { background:#fef5e7; border-color:#f8c471; color:#7e5109; }
dl.meta { display:grid; grid-template-columns:max-content 1fr max-content 1fr; gap:4px 16px;
  margin:14px 0 12px; }
dl.meta dt { color:var(--muted); } dl.meta dd { margin:0; overflow-wrap:anywhere; }
.figures { display:grid; grid-template-columns:repeat(auto-fit,minmax(140px,1fr)); gap:12px; }
.figure { background:var(--soft); border:1px solid var(--line); border-radius:6px; padding:10px 14px; }
.figure b { display:block; font-size:22px; }
.figure small { color:var(--muted); }
.prose { white-space:pre-wrap; overflow-wrap:anywhere; max-width:900px; }
.charts { display:grid; grid-template-columns:repeat(auto-fit,minmax(420px,1fr)); gap:16px; }
.chart { width:100%; height:auto; background:var(--soft); border:1px solid var(--line);
  border-radius:6px; padding:8px; }
.chart-title { font:600 13px system-ui,sans-serif; fill:var(--ink); }
.chart-label,.chart-value { font:11px system-ui,sans-serif; fill:var(--muted); }
.chart-axis { stroke:var(--line); }
table { border-collapse:collapse; width:100%; font-size:13px; }
th,td { text-align:left; vertical-align:top; padding:5px 8px; border-bottom:1px solid var(--line); }
th { background:var(--soft); font-weight:600; position:sticky; top:0; }
td { overflow-wrap:break-word; }
code { white-space:nowrap; } code.hash { white-space:normal; word-break:break-all; }
td.num,th.num { text-align:right; font-variant-numeric:tabular-nums; }
tr.total td { font-weight:700; border-top:2px solid var(--ink); }
code,.mono { font:12px ui-monospace,"DejaVu Sans Mono",monospace; overflow-wrap:anywhere; }
.empty { color:var(--muted); font-style:italic; }
footer { padding:16px 32px 24px; color:var(--muted); border-top:1px solid var(--line); font-size:12px; }
@media print { th { position:static; } .tlp { -webkit-print-color-adjust:exact; print-color-adjust:exact; } }
"""


def h(value: object, limit: int | None = None) -> str:
    """A journal value as inert, escaped HTML text."""
    return escape(visible(value, limit), quote=True)


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Sequence[int] = (),
    *,
    total: Sequence[str] | None = None,
) -> str:
    """A table; cells must already be escaped HTML."""
    head = "".join(
        f'<th class="num">{name}</th>' if i in numeric else f"<th>{name}</th>"
        for i, name in enumerate(headers)
    )
    body = []
    for row, cls in [*((r, "") for r in rows), *([(total, ' class="total"')] if total else [])]:
        cells = "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _mono(value: str) -> str:
    return f"<code>{h(value)}</code>" if value else "-"


def _hash(value: str) -> str:
    return f'<code class="hash">{h(value)}</code>' if value else "-"


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _banner(level: str) -> str:
    color = TLP_COLORS.get(level, "#ffc000")
    return (
        f'<div class="tlp" style="color:{color}">TLP:{h(level)}'
        f'<span class="meaning">{h(TLP_MEANING.get(level, ""))}</span></div>'
    )


def _header(source: ExportSource) -> str:
    inc = source.incident
    badges = [
        f'<span class="{h(inc.severity)}">{h(inc.severity.upper())}</span>',
        f'<span class="{h(inc.status)}">{h(inc.status)}</span>',
    ]
    if source.redacted:
        badges.append('<span class="redacted">redacted</span>')
    if source.selection:
        badges.append("<span>partial export</span>")
    selection = "; ".join(f"{h(k)} {h(v)}" for k, v in source.selection.items())
    meta = [
        ("Owner", h(inc.owner) or "-"),
        ("Playbook", h(inc.playbook or "-")),
        ("Opened", _mono(inc.created)),
        ("Closed", _mono(inc.closed or "")),
        ("Subject accounts", f"{len(inc.subjects):,}"),
        ("Journal head", f"seq {source.head_seq} · {_hash(source.head_hash)}"),
        ("Generated", f"{_mono(source.generated_at)} by {h(source.generator)}"),
        ("Selection", selection or "every event"),
    ]
    cells = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta)
    return (
        f'<header><div class="id">{h(inc.id)} · {h(source.producer)}</div>'
        f"<h1>{h(inc.title or inc.id)}</h1>"
        f'<div class="badges">{"".join(badges)}</div><dl class="meta">{cells}</dl></header>'
    )


def _summary(source: ExportSource, facts: ReportFacts) -> str:
    inc = source.incident
    totals = facts.ledger_totals()
    figures = [
        (f"{facts.events:,}", "events exported"),
        (f"{len(inc.subjects):,}", "subject accounts"),
        (f"{len(facts.decisions):,}", "decisions"),
        (f"{totals.get('succeeded', 0):,}", "targets acted on"),
        (f"{totals.get('failed', 0):,}", "targets failed"),
        (f"{len(facts.evidence):,}", "evidence items"),
    ]
    cards = "".join(
        f'<div class="figure"><b>{value}</b><small>{label}</small></div>'
        for value, label in figures
    )
    parts = [
        '<section id="summary"><h2>Summary</h2>',
        f'<p class="prose">{h(inc.description) or "<span class=empty>No description.</span>"}</p>',
    ]
    if inc.summary:
        parts.append(f'<p class="prose"><b>Closing summary.</b> {h(inc.summary)}</p>')
    parts.append(f'<div class="figures">{cards}</div></section>')
    return "".join(parts)


def _charts(facts: ReportFacts, indicators: list[tuple[str, float]]) -> str:
    charts = []
    days = sorted(facts.by_day.items())[-90:]
    charts.append(column_chart("Journal events per day (UTC)", [(d, float(n)) for d, n in days]))
    totals = facts.ledger_totals()
    if facts.actions:
        charts.append(
            bar_chart(
                "Action ledger (targets)",
                [
                    (k.capitalize(), float(totals.get(k, 0)))
                    for k in ("succeeded", "failed", "skipped", "pending")
                ],
                colors=("#1e8449", "#c0392b", "#7f8c8d", "#d68910"),
            )
        )
    if indicators:
        charts.append(bar_chart("Indicators fired (alert and watch accounts)", indicators))
    latest = [row for row in facts.analyses if row.verdicts or row.indicators][-1:]
    for row in latest:
        if row.verdicts:
            charts.append(
                bar_chart("Accounts by verdict", [(k, float(v)) for k, v in row.verdicts.items()])
            )
        if row.indicators:
            charts.append(bar_chart("Top distillation indicators", row.indicators))
    types = facts.by_type.most_common(8)
    charts.append(bar_chart("Events by type", [(t, float(n)) for t, n in types]))
    body = "".join(chart for chart in charts if chart)
    return f'<section id="charts"><h2>Indicators and activity</h2><div class="charts">{body}</div></section>'


def _decisions(facts: ReportFacts) -> str:
    if not facts.decisions:
        return '<section id="decisions"><h2>Decisions</h2><p class="empty">No decisions recorded.</p></section>'
    rows = []
    for row in facts.decisions:
        approvals = facts.approvers(row.step)
        rows.append(
            [
                _mono(row.ts[:19]),
                h(row.step or "-"),
                f"<b>{h(row.choice or '-')}</b>",
                f'<span class="prose">{h(row.rationale or "-")}</span>',
                h(row.actor),
                h(", ".join(approvals.granted_by) or "-"),
                h(", ".join(approvals.rejected_by) or "-"),
            ]
        )
    headers = ["Time (UTC)", "Step", "Decision", "Rationale", "By", "Approved by", "Rejected by"]
    return f'<section id="decisions"><h2>Decisions</h2>{_table(headers, rows)}{_more(facts, "decisions")}</section>'


def _actions(facts: ReportFacts) -> str:
    if not facts.actions:
        return '<section id="actions"><h2>Actions</h2><p class="empty">No actions requested.</p></section>'
    rows = [
        [
            _mono(row.ts[:19]),
            h(row.kind) + (" <small>(dry run)</small>" if row.dry_run else ""),
            h(row.step or "-"),
            h(row.actor),
            _count(row.targets),
            _count(row.succeeded),
            _count(row.failed),
            _count(row.skipped),
            _count(row.pending),
        ]
        for row in facts.actions.values()
    ]
    t = facts.ledger_totals()
    total = ["Total", "", "", ""] + [
        f"{t.get(k, 0):,}" for k in ("targets", "succeeded", "failed", "skipped", "pending")
    ]
    headers = [
        "Requested",
        "Action",
        "Step",
        "By",
        "Targets",
        "Succeeded",
        "Failed",
        "Skipped",
        "Pending",
    ]
    table = _table(headers, rows, numeric=(4, 5, 6, 7, 8), total=total)
    return f'<section id="actions"><h2>Actions and ledger</h2>{table}{_more(facts, "actions")}</section>'


def _evidence(facts: ReportFacts) -> str:
    if not facts.evidence:
        return '<section id="evidence"><h2>Evidence</h2><p class="empty">No evidence recorded.</p></section>'
    rows = [
        [
            h(row.evidence_id or "-"),
            _mono(row.ts[:19]),
            h(row.source or "-"),
            f'<span class="mono">{h(row.query or "-", 200)}</span>',
            _count(row.records),
            _count(row.quarantined) if row.quarantined is not None else "-",
            _hash(row.sha256),
            _hash(row.normalized_sha256),
        ]
        for row in facts.evidence
    ]
    headers = [
        "Evidence",
        "Added",
        "Source",
        "Query",
        "Records",
        "Quarantined",
        "SHA-256 (raw)",
        "SHA-256 (normalised)",
    ]
    table = _table(headers, rows, numeric=(4, 5))
    return f'<section id="evidence"><h2>Evidence</h2>{table}{_more(facts, "evidence")}</section>'


def _analysis(facts: ReportFacts) -> str:
    if not facts.analyses:
        return ""
    rows = []
    for row in facts.analyses:
        verdicts = ", ".join(f"{h(k)} {v:,}" for k, v in row.verdicts.items()) or "-"
        top = ", ".join(f"{h(name)} {value:g}" for name, value in row.indicators[:5]) or "-"
        rows.append([_mono(row.ts[:19]), _count(row.accounts), _count(row.clusters), verdicts, top])
    headers = ["Completed", "Accounts", "Clusters", "Verdicts", "Top indicators"]
    table = _table(headers, rows, numeric=(1, 2))
    return f'<section id="analysis"><h2>Analysis</h2>{table}{_more(facts, "analyses")}</section>'


def _reports(facts: ReportFacts) -> str:
    if not facts.reports:
        return ""
    rows = [
        [
            _mono(row.ts[:19]),
            h(row.actor),
            _mono(row.status_id),
            h(row.status or "-"),
            _count(row.objects),
            _hash(row.bundle_sha256),
        ]
        for row in facts.reports
    ]
    headers = ["Submitted", "By", "Status id", "Status", "Objects", "Bundle SHA-256"]
    return f'<section id="reports"><h2>Forum reports</h2>{_table(headers, rows, numeric=(4,))}</section>'


def _more(facts: ReportFacts, section: str) -> str:
    extra = facts.dropped.get(section, 0)
    return f'<p class="empty">… and {extra:,} more (see the JSONL export).</p>' if extra else ""


class HtmlWriter:
    """The incident report as one self-contained HTML page."""

    name: ClassVar[str] = "html"
    suffix: ClassVar[str] = ".html"
    description: ClassVar[str] = "self-contained HTML incident report (no external assets)"

    def write(self, source: ExportSource, out: TextIO) -> int:
        """Fold the events, write the sections, then stream the timeline rows."""
        facts = fold(source.events())
        inc = source.incident
        out.write(
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="referrer" content="no-referrer">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{h(inc.id)} · {h(inc.title, limit=120)}</title>\n"
            f"<style>{STYLE}</style>\n</head>\n<body>\n"
        )
        out.write(_banner(inc.tlp) + "\n" + _header(source) + "\n<main>\n")
        for section in (
            _summary(source, facts),
            _charts(facts, source.indicators),
            _decisions(facts),
            _actions(facts),
            _evidence(facts),
            _analysis(facts),
            _reports(facts),
        ):
            if section:
                out.write(section + "\n")
        out.write(
            '<section id="timeline"><h2>Timeline</h2><table><thead><tr>'
            '<th class="num">Seq</th><th>Time (UTC)</th><th>Actor</th><th>Type</th><th>What</th>'
            "</tr></thead><tbody>\n"
        )
        count = 0
        for event in source.events():
            out.write(
                f'<tr><td class="num">{event.seq}</td><td><code>{h(event.ts[:19])}</code></td>'
                f"<td>{h(event.actor)}</td><td><code>{h(event.type)}</code></td>"
                f"<td>{h(describe(event), limit=600)}</td></tr>\n"
            )
            count += 1
        out.write("</tbody></table></section>\n</main>\n")
        out.write(
            f"<footer>Journal head seq {source.head_seq}, SHA-256 <code>{h(source.head_hash)}"
            "</code>. The JSONL export of this incident verifies offline with "
            "<code>ircli verify --file EXPORT.jsonl</code>. "
            f"Generated {h(source.generated_at)} by {h(source.generator)}.</footer>\n"
        )
        out.write(_banner(inc.tlp) + "\n</body>\n</html>\n")
        return count
