"""How the step card words a step: its head line, why it waits, its details, its button.

Pure functions from a :class:`~ircli.services.current_step.CurrentStep` to inert
``rich.text.Text`` (every value from the journal goes through :func:`plain`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from ircli.tui.plain import plain, plain_block

if TYPE_CHECKING:
    from ircli.services.current_step import CurrentStep

NEEDS = {
    "input": ("✎", "yellow", "waiting for you"),
    "approval": ("⧗", "yellow", "waiting for approval by a second responder"),
    "confirm": ("!", "bold red", "ready — confirm to run"),
    "run": ("▶", "bold", "ready to run"),
    "failed": ("✘", "red", "failed"),
    "done": ("✔", "green", "done"),
}
KIND_VERBS = {
    "form": "fill in the form",
    "check": "tick the checklist",
    "decide": "record a decision",
    "note": "write the note",
}


def head(step: CurrentStep) -> Text:
    """Mark, position, title, kind and what the step needs, on one line."""
    mark, style, words = NEEDS.get(step.needs, ("?", "", step.state))
    if step.needs == "input":
        words = f"waiting for you to {KIND_VERBS.get(step.kind, 'answer')}"
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append(f"{mark} ", style=style)
    if step.id:
        head.append(f"Step {step.position}/{step.total} · ", style="dim")
    head.append_text(plain(step.title, limit=80, style="bold"))
    if step.kind:
        head.append(f"  [{step.kind}]", style="dim")
    head.append("  ")
    head.append(words, style=style)
    return head


def status_line(step: CurrentStep) -> Text:
    """The one line that says why the responder cannot simply go on."""
    if step.needs == "approval":
        return plain_block(waiting_line(step), style="yellow")
    style = "red" if step.needs == "failed" else "yellow"
    return plain_block(
        f"{'Failed' if step.state == 'failed' else 'Note'}: {step.reason}", style=style
    )


def waiting_line(step: CurrentStep) -> str:
    """Who must approve, how many more, and the command they use."""
    approval = step.approval
    missing = approval.missing if approval else 1
    granted = (
        f" (approved by {', '.join(approval.granted_by)})"
        if approval and approval.granted_by
        else ""
    )
    return plain(
        f"'{step.title}' is waiting for approval by a second responder: {missing} more needed"
        f"{granted}. Another responder approves with: "
        f"ircli --as NAME approve {step.incident} {step.id}",
        limit=None,
    ).plain


def details(step: CurrentStep) -> Text:
    """Inputs, checklist items, options, decision, approvals, dry run and results."""
    out = Text()

    def line(label: str, value: object, style: str = "") -> None:
        out.append(f"{label:<11}", style="bold")
        out.append_text(plain(value, limit=200, style=style))
        out.append("\n")

    for field in step.inputs:
        shown = field.default or ("(required)" if field.required else "")
        line(field.label[:10], shown, "dim" if not field.default else "")
    for _item, text in step.items:
        out.append("☐ ", style="dim")
        out.append_text(plain(text, limit=200))
        out.append("\n")
    for option, label in step.options:
        line(option[:10], label)
    if step.decision:
        line("Decision", f"{step.decision.get('option')} by {step.decision.get('by')}")
        line("Rationale", step.decision.get("rationale", ""))
    if step.needs == "approval":
        if step.approval and step.approval.requester:
            line("Requested", f"by {step.approval.requester}")
    elif step.approval is not None and step.approval.granted_by:
        line("Approved", ", ".join(step.approval.granted_by), "green")
    if step.preview is not None:
        line("Dry run", step.preview.headline)
        for label, value in step.preview.facts:
            line(label[:10], value)
    if step.results:
        out.append("Results\n", style="bold")
        for title, summary in step.results[:3]:
            out.append("  ✔ ", style="green")
            out.append_text(plain(f"{title}: {summary}", limit=150))
            out.append("\n")
    out.rstrip()
    return out


def run_label(step: CurrentStep) -> str:
    """The Run button's label for what the step needs."""
    if step.needs == "input":
        return {"decide": "Decide (d)"}.get(step.kind, "Answer (ctrl+r)")
    if step.needs == "confirm":
        return "Review and confirm (ctrl+r)"
    if step.needs == "done":
        return "Done"
    return "Run (ctrl+r)"
