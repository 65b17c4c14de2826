"""Inline SVG charts for the HTML report: no script, no external asset, escaped labels."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#2f5d8a", "#c0392b", "#d68910", "#1e8449", "#7d3c98", "#566573")


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3g}"


def bar_chart(
    title: str, pairs: Sequence[tuple[str, float]], *, colors: Sequence[str] = PALETTE
) -> str:
    """Horizontal bars, one per ``(label, value)``; negative values are drawn from zero."""
    if not pairs:
        return ""
    label_w, bar_w, row_h = 210, 330, 24
    height = row_h * len(pairs) + 34
    top = max(abs(value) for _, value in pairs) or 1.0
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {label_w + bar_w + 80} {height}" '
        f'aria-label="{escape(title)}">',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(pairs):
        y = 30 + index * row_h
        width = max(abs(value) / top * bar_w, 1.5)
        color = colors[index % len(colors)]
        short = label if len(label) <= 32 else label[:31] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" class="chart-label">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row_h - 8}" '
            f'rx="2" fill="{color}"/>'
            f'<text x="{label_w + width + 6:.1f}" y="{y + 15}" class="chart-value">'
            f"{escape(_fmt(value))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(title: str, pairs: Sequence[tuple[str, float]], *, color: str = PALETTE[0]) -> str:
    """Vertical columns over an ordered axis (e.g. events per day)."""
    if not pairs:
        return ""
    width, height, base = 560, 180, 150
    step = width / len(pairs)
    top = max(value for _, value in pairs) or 1.0
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width + 40} {height + 14}" '
        f'aria-label="{escape(title)}">',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
        f'<line x1="30" y1="{base}" x2="{width + 30}" y2="{base}" class="chart-axis"/>',
        f'<text x="26" y="34" text-anchor="end" class="chart-value">{escape(_fmt(top))}</text>',
    ]
    for index, (label, value) in enumerate(pairs):
        bar_h = max(value / top * (base - 30), 1.0)
        x = 30 + index * step
        parts.append(
            f'<rect x="{x + step * 0.12:.1f}" y="{base - bar_h:.1f}" width="{step * 0.76:.1f}" '
            f'height="{bar_h:.1f}" fill="{color}"><title>{escape(label)}: '
            f"{escape(_fmt(value))}</title></rect>"
        )
    first, last = pairs[0][0], pairs[-1][0]
    parts.append(f'<text x="30" y="{base + 18}" class="chart-label">{escape(first)}</text>')
    if last != first:
        parts.append(
            f'<text x="{width + 30}" y="{base + 18}" text-anchor="end" class="chart-label">'
            f"{escape(last)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
