"""Ground truth, kept out of the evidence: one row per account in ``labels.parquet``.

Columns: ``account_id``, ``archetype``, ``campaign_id`` (null for legitimate traffic),
``is_attack`` and ``expected_verdict`` (``alert`` for campaigns, ``policy`` for rate-limit
evasion that is not distillation, ``clear`` otherwise). Nothing in ``requests``,
``accounts`` or ``releases`` repeats or hints at these values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ircli.world.archetypes import ARCHETYPES

if TYPE_CHECKING:
    import pyarrow as pa

    from ircli.world.world import World

LABEL_COLUMNS = ("account_id", "archetype", "campaign_id", "is_attack", "expected_verdict")


def label_rows(world: World) -> dict[str, list[Any]]:
    """Per-account ground truth as columns, in roster order."""
    out: dict[str, list[Any]] = {name: [] for name in LABEL_COLUMNS}
    for c in world.cohorts:
        spec = ARCHETYPES[c.archetype]
        n = c.hi - c.lo
        out["account_id"].extend(world.account_ids[c.lo : c.hi])
        out["archetype"].extend([c.archetype] * n)
        out["campaign_id"].extend([c.campaign] * n)
        out["is_attack"].extend([spec.is_attack] * n)
        out["expected_verdict"].extend([spec.verdict] * n)
    return out


def labels_table(world: World) -> pa.Table:
    """The labels as an Arrow table sorted by account id (row order says nothing)."""
    import pyarrow as pa

    schema = pa.schema(
        [
            pa.field("account_id", pa.string(), nullable=False),
            pa.field("archetype", pa.string(), nullable=False),
            pa.field("campaign_id", pa.string()),
            pa.field("is_attack", pa.bool_(), nullable=False),
            pa.field("expected_verdict", pa.string(), nullable=False),
        ]
    )
    return pa.table(label_rows(world), schema=schema).sort_by("account_id")
