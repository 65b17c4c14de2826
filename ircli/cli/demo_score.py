"""``ircli demo score``: measure an analysis against a labelled synthetic world."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ircli.cli.output import emit_json, emit_table, info, json_option
from ircli.errors import ValidationError


@click.command("score")
@click.option(
    "--labels",
    "labels_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Labels file of the generated world (account_id, archetype, campaign_id).",
)
@click.option(
    "--analysis",
    "analysis_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSON written by 'ircli analyze ... -o FILE'.",
)
@json_option
def score(labels_path: Path, analysis_path: Path, as_json: bool) -> None:
    """Per-archetype recall and false-positive rate, exchange-weighted recall, policy
    routing and cluster agreement (adjusted Rand index) of an analysis."""
    from ircli.analysis.scoring import load_labels
    from ircli.analysis.scoring import score as run_score

    labels = load_labels(labels_path)
    try:
        analysis = json.loads(analysis_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ValidationError(
            f"no such analysis file: {analysis_path}",
            hint="write one with: ircli analyze ... -o FILE",
        ) from exc
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{analysis_path.name} is not JSON: {exc.msg}",
            hint="pass the JSON written by ircli analyze -o",
        ) from exc
    if not isinstance(analysis, dict) or not isinstance(analysis.get("accounts"), list):
        raise ValidationError(
            f"{analysis_path.name} is not an analysis result",
            hint="pass the JSON written by ircli analyze -o",
        )
    card = run_score(labels, analysis)
    if as_json:
        emit_json(card.to_dict())
    else:
        emit_table(card.rows(), ["MEASURE", "ARCHETYPE", "ACCOUNTS", "VALUE", "TARGET", ""])
        if card.missing:
            info(
                f"{card.missing} labelled account(s) are absent from the analysis (counted as clear)"
            )
        info("quality bar met" if card.passed else "quality bar NOT met")
