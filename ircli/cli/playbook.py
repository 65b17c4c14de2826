"""``ircli playbook …``: list, validate, show, schema, CACAO export and import."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ircli.cli.context import workspace
from ircli.cli.output import emit_fields, emit_json, emit_table, info, json_option
from ircli.errors import ValidationError
from ircli.exitcodes import ExitCode


@click.group()
def playbook() -> None:
    """Find, check and convert playbooks."""


@playbook.command("list")
@json_option
def playbook_list(as_json: bool) -> None:
    """List the playbooks on the search path (config [playbooks] paths, then the shipped ones)."""
    from ircli.services.playbooks import list_playbooks

    found = list_playbooks(workspace())
    if as_json:
        emit_json([p.to_dict() for p in found])
        return
    emit_table(
        [(p.name, p.title, p.steps, "ok" if p.valid else "INVALID", str(p.path)) for p in found],
        ["NAME", "TITLE", "STEPS", "VALID", "FILE"],
        empty="no playbooks found",
    )


@playbook.command("validate")
@click.argument("refs", nargs=-1, required=True, metavar="PLAYBOOK...")
@json_option
def playbook_validate(refs: tuple[str, ...], as_json: bool) -> int:
    """Check playbooks; print every problem as FILE:LINE:COL: message."""
    from ircli.services.playbooks import validate_playbook

    reports = [validate_playbook(workspace(), ref) for ref in refs]
    if as_json:
        emit_json([r.to_dict() for r in reports])
    else:
        for report in reports:
            for problem in report.problems:
                click.echo(str(problem))
            for warning in report.warnings:
                info(f"{report.file}: warning: {warning}")
            if report.ok:
                info(f"{report.file}: ok")
    return int(ExitCode.OK if all(r.ok for r in reports) else ExitCode.VALIDATION)


@playbook.command("show")
@click.argument("ref", metavar="PLAYBOOK")
@click.option("--step", "step_id", help="Show one step in full.")
@json_option
def playbook_show(ref: str, step_id: str | None, as_json: bool) -> None:
    """Show a playbook's steps (or one step's instructions and details)."""
    from ircli.services.playbooks import find_playbook, load_playbook

    ws = workspace()
    book = load_playbook(ws, ref)
    if step_id is not None:
        step = book.step(step_id)
        if step is None:
            raise ValidationError(
                f"{book.name} has no step '{step_id}'",
                hint="steps: " + ", ".join(s.id for s in book.steps),
            )
        if as_json:
            emit_json(step.to_dict())
        else:
            emit_fields([("step", step.id), ("kind", step.kind), ("title", step.title)])
            click.echo("")
            click.echo(step.instructions.rstrip())
        return
    if as_json:
        emit_json(book.to_dict())
        return
    emit_fields(
        [
            ("playbook", book.name),
            ("title", book.title),
            ("version", book.version),
            ("file", str(find_playbook(ws, ref))),
        ]
    )
    click.echo("")
    rows = []
    for step in book.steps:
        leads = (
            ", ".join(f"{o.id} → {o.next}" for o in step.options)
            if step.options
            else (f"hand over to {step.playbook}" if step.playbook else book.default_next(step))
        )
        extra = []
        if step.when:
            extra.append(f"when {step.when}")
        if step.approvals:
            extra.append(f"{step.approvals.required} approval(s)")
        if step.uses:
            extra.append(f"uses {step.uses}")
        rows.append((step.id, step.kind, step.title, leads, "; ".join(extra)))
    emit_table(rows, ["STEP", "KIND", "TITLE", "NEXT", "NOTES"])


@playbook.command("schema")
def playbook_schema() -> None:
    """Print the playbook JSON Schema."""
    from ircli.services.playbooks import schema_text

    click.echo(schema_text())


@playbook.command("handlers")
@json_option
def playbook_handlers(as_json: bool) -> None:
    """List the installed step handlers (entry-point group ircli.steps)."""
    from ircli.services.steps import handler_names

    names = handler_names()
    if as_json:
        emit_json(names)
    else:
        emit_table([(n,) for n in names], ["HANDLER"], empty="no step handlers installed")


@playbook.command("export-cacao")
@click.argument("ref", metavar="PLAYBOOK")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of stdout.",
)
@click.option(
    "--check-with",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    metavar="DIR",
    help="Validate against the CACAO 2.0 JSON schemas in DIR (read locally).",
)
def playbook_export_cacao(ref: str, output: Path | None, check_with: Path | None) -> None:
    """Export a playbook as OASIS CACAO 2.0 JSON."""
    from ircli.services.playbooks import cacao_problems, export_cacao

    document = export_cacao(workspace(), ref)
    if check_with is not None:
        problems = cacao_problems(document, check_with)
        if problems:
            raise ValidationError(
                f"the CACAO export does not validate: {problems[0]}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
            )
        info("valid against the CACAO 2.0 schemas")
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        info(f"wrote {output}")


@playbook.command("import-cacao")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the YAML playbook to this file instead of stdout.",
)
def playbook_import_cacao(file: Path, output: Path | None) -> None:
    """Import an OASIS CACAO 2.0 JSON playbook as ircli YAML."""
    from ircli.services.playbooks import import_cacao

    book, text = import_cacao(workspace(), file)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        info(f"wrote {output} (playbook {book.name}, {len(book.steps)} steps)")
