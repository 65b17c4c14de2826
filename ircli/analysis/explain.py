"""Plain-language reasons a responder can read out and defend."""

from __future__ import annotations

from collections.abc import Mapping

from ircli.analysis.indicators import BY_NAME
from ircli.analysis.verdicts import Judgement

SHOW_FROM = 0.3  # indicators weaker than this are not worth a sentence


def indicator_reason(name: str, value: float | None, percentile: float | None) -> str:
    """The sentence for one indicator's value."""
    ind = BY_NAME[name]
    try:
        return ind.reason.format(
            value=value if value is not None else 0.0, percentile=percentile or 0.0
        )
    except (ValueError, TypeError):
        return ind.definition


def verdict_line(j: Judgement, *, has_text: bool) -> str:
    """One sentence saying why the verdict is what it is, in terms of the two-family rule."""
    fam = j.families
    backing = (
        "identity/infrastructure" if fam["identity"] >= fam["coordination"] else "coordination"
    )
    content = "content" if has_text else "token economics (no prompt text)"
    if j.verdict == "alert":
        return f"alert: {content} evidence ({j.content:.2f}) backed by {backing} evidence ({j.backing:.2f}); nothing exculpatory"
    if j.verdict == "policy":
        return "policy: load spread to stay under rate limits, without distillation content"
    if j.verdict == "watch":
        if j.content >= 0.5 and j.exculpatory >= 0.5:
            return f"watch: {content} evidence ({j.content:.2f}) but exculpatory evidence ({j.exculpatory:.2f}) holds it back"
        if j.content >= 0.5 and fam["identity"] >= 0.5 > j.backing:
            return (
                f"watch: {content} evidence ({j.content:.2f}) with identity facts of its own only "
                "(VPN, travel, trial, sign-up hour); an account linked to no other needs a shared "
                "fact, or concealed access together with a sign-up burst"
            )
        if j.content >= 0.5:
            return f"watch: {content} evidence ({j.content:.2f}) alone; the two-family rule needs identity or coordination backing"
        return f"watch: {backing} evidence ({j.backing:.2f}) with only weak content evidence ({j.content:.2f})"
    return "clear: no family of evidence is strong"


def reasons(
    j: Judgement,
    strengths: Mapping[str, float],
    values: Mapping[str, float | None],
    percentiles: Mapping[str, float | None],
    *,
    has_text: bool,
    limit: int = 6,
) -> list[str]:
    """The verdict line, then the strongest indicators in words, strongest first."""
    ranked = sorted(
        (name for name, s in strengths.items() if s >= SHOW_FROM),
        key=lambda name: -strengths[name],
    )
    # The strongest indicator of each family first, so the backing family is always named,
    # then the rest by strength.
    firsts: list[str] = []
    for name in ranked:
        if BY_NAME[name].family not in {BY_NAME[n].family for n in firsts}:
            firsts.append(name)
    ranked = firsts + [n for n in ranked if n not in firsts]
    lines = [verdict_line(j, has_text=has_text)]
    lines += [
        f"[{BY_NAME[name].family}] {indicator_reason(name, values.get(name), percentiles.get(name))}"
        for name in ranked[:limit]
    ]
    return lines
