"""``ircli demo score``: measure an analysis against a labelled synthetic world."""

from __future__ import annotations

from pathlib import Path

import click

from ircli.cli.output import emit_json, emit_table, info, json_option


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
    from ircli.services.analysis import score_files

    card = score_files(labels_path, analysis_path)
    if as_json:
        emit_json(card.to_dict())
    else:
        emit_table(card.rows(), ["MEASURE", "ARCHETYPE", "ACCOUNTS", "VALUE", "TARGET", ""])
        if card.missing:
            info(
                f"{card.missing} labelled account(s) are absent from the analysis (counted as clear)"
            )
        info("quality bar met" if card.passed else "quality bar NOT met")
