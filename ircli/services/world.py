"""The synthetic world as a service: generate a labelled world of logs into a folder.

Front ends call :func:`generate_world`; the generator itself (``ircli.world``) and its
heavy imports (numpy, pyarrow) load only when a world is actually generated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ircli.errors import UsageError

# Kept here (not imported from ircli.world) so `ircli --help` stays light; a test keeps
# both lists in step.
PRESET_NAMES = ("tiny", "small", "medium", "incident")
WORLD_FILES = ("requests.parquet", "accounts.parquet", "releases.parquet", "labels.parquet")

Progress = Callable[[int, int, int], None]


def parse_account_overrides(items: Iterable[str]) -> dict[str, int]:
    """``["hydra_cot=100", ...]`` → ``{"hydra_cot": 100}``, with readable errors."""
    from ircli.world.archetypes import ARCHETYPES

    out: dict[str, int] = {}
    for item in items:
        name, sep, count = item.partition("=")
        name = name.strip()
        if not sep or not count.strip().isdigit():
            raise UsageError(
                f"invalid --accounts value {item!r}",
                hint="write ARCHETYPE=N, e.g. --accounts hydra_cot=200",
            )
        if name not in ARCHETYPES:
            raise UsageError(
                f"unknown archetype {name!r}",
                hint="archetypes: " + ", ".join(ARCHETYPES),
            )
        out[name] = int(count)
    return out


def generate_world(
    preset: str,
    seed: int,
    out: Path,
    *,
    scale: float | None = None,
    accounts: dict[str, int] | None = None,
    days: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Generate a world into ``out``; returns a JSON-able summary.

    ``scale`` multiplies the preset's accounts, ``accounts`` replaces some archetypes'
    counts, ``days`` changes the window. Refuses to overwrite an existing world unless
    ``force``.
    """
    from dataclasses import replace

    from ircli.world.presets import PRESETS
    from ircli.world.writer import generate

    if preset not in PRESETS:
        raise UsageError(f"unknown preset {preset!r}", hint="presets: " + ", ".join(PRESETS))
    if seed < 0 or seed >= 2**63:
        raise UsageError(f"invalid seed {seed}", hint="use a non-negative integer below 2**63")
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder", hint="choose another --out")
    if not force and any((out / f).exists() for f in WORLD_FILES):
        raise UsageError(
            f"{out} already holds a generated world",
            hint="choose another --out, or pass --force to replace it",
        )
    spec = PRESETS[preset]
    if scale is not None:
        if not 0 < scale <= 1000:
            raise UsageError(f"invalid scale {scale}", hint="use a factor between 0 and 1000")
        spec = spec.scaled(scale)
    if accounts:
        spec = spec.with_accounts(accounts)
    if days is not None:
        if not 2 <= days <= 366:
            raise UsageError(f"invalid window of {days} days", hint="use 2 to 366 days")
        spec = replace(spec, days=days)
    if spec.n_accounts == 0:
        raise UsageError("the world would have no accounts", hint="raise --scale or --accounts")
    custom = scale is not None or accounts or days is not None
    return generate(spec, seed, out, progress, name=f"{preset}*" if custom else preset).to_dict()


def campaign_seeds(world: Path, *, archetype: str = "hydra_cot", n: int = 3) -> list[str]:
    """``n`` account ids of one campaign of a generated world (the seeds an alert would name).

    Read from the labels file, so only demos and tests use it; the first campaign of
    ``archetype`` in campaign-id order, its accounts in account-id order.
    """
    from ircli.errors import NotFoundError

    path = world / "labels.parquet"
    if not path.is_file():
        raise NotFoundError(
            f"no generated world in {world}", hint="run `ircli demo generate --out DIR` first"
        )
    import pyarrow.parquet as pq

    labels = pq.read_table(path, columns=["account_id", "archetype", "campaign_id"]).to_pylist()
    campaigns = sorted({r["campaign_id"] for r in labels if r["archetype"] == archetype} - {None})
    if not campaigns:
        raise NotFoundError(
            f"no {archetype} campaign in {world}", hint="generate a world that includes it"
        )
    ids = sorted(r["account_id"] for r in labels if r["campaign_id"] == campaigns[0])
    return ids[:n]
