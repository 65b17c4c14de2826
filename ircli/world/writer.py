"""Build a world from a spec and stream it to Parquet, one day at a time.

Memory stays bounded by one day of traffic: each day's cohorts are generated, merged,
sorted by time and written as row groups before the next day starts. Files are written
under temporary names and renamed at the end, so a half-written world never looks done.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ircli.world.archetypes import ARCHETYPES
from ircli.world.labels import label_rows, labels_table
from ircli.world.presets import WorldSpec
from ircli.world.world import DAY_US, MODELS, World

FILES = ("requests.parquet", "accounts.parquet", "releases.parquet", "labels.parquet")
MANIFEST = "world.json"
ROW_GROUP = 131_072

Progress = Callable[[int, int, int], None]  # (days done, days total, rows so far)


@dataclass(frozen=True)
class Summary:
    """What was generated."""

    out: Path
    preset: str
    seed: int
    days: int
    requests: int
    accounts: int
    attack_accounts: int
    campaigns: int
    files: dict[str, int]  # name → bytes

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {
            "out": str(self.out), "preset": self.preset, "seed": self.seed, "days": self.days,
            "requests": self.requests, "accounts": self.accounts,
            "attack_accounts": self.attack_accounts, "campaigns": self.campaigns,
            "files": self.files,
        }  # fmt: skip


def build(spec: WorldSpec, seed: int) -> World:
    """Populate a world (accounts, cohorts) from ``spec``; no traffic yet."""
    w = World(seed, spec.days, spec.proxy_exits)
    serial = 0
    for name, arch in ARCHETYPES.items():
        n = spec.accounts.get(name, 0)
        if n <= 0:
            continue
        k = max(1, min(spec.groups.get(name, 1), n))
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        for size in sizes:
            campaign = None
            if arch.is_attack:
                serial += 1
                campaign = f"C{serial:02d}"
            arch.build(w, size, campaign or name)
    return w


def generate(
    spec: WorldSpec,
    seed: int,
    out: Path,
    progress: Progress | None = None,
    *,
    name: str = "custom",
) -> Summary:
    """Generate the world of ``spec`` with ``seed`` into folder ``out``."""
    import pyarrow.parquet as pq

    from ircli.evidence.schema import arrow_schema
    from ircli.world.traffic import day_tables

    out.mkdir(parents=True, exist_ok=True)
    # The manifest is written last: a folder without one holds no finished world.
    (out / MANIFEST).unlink(missing_ok=True)
    w = build(spec, seed)
    w.finish()
    tmp = {file: out / f".{file}.partial" for file in FILES}
    rows = 0
    schema = arrow_schema("requests")
    try:
        with pq.ParquetWriter(tmp["requests.parquet"], schema, compression="zstd") as writer:
            for day in range(spec.days):
                for table in day_tables(w, day, ROW_GROUP):
                    writer.write_table(table, row_group_size=ROW_GROUP)
                    rows += table.num_rows
                if progress:
                    progress(day + 1, spec.days, rows)
        _write_small(w, tmp)
    except BaseException:
        for path in tmp.values():
            path.unlink(missing_ok=True)
        raise
    for file in FILES:
        os.replace(tmp[file], out / file)
    labels = label_rows(w)
    summary = Summary(
        out=out,
        preset=name,
        seed=seed,
        days=spec.days,
        requests=rows,
        accounts=w.roster.size,
        attack_accounts=sum(labels["is_attack"]),
        campaigns=len({c for c in labels["campaign_id"] if c}),
        files={file: (out / file).stat().st_size for file in FILES},
    )
    (out / MANIFEST).write_text(json.dumps(summary.to_dict(), indent=2) + "\n")
    return summary


def _write_small(w: World, tmp: dict[str, Path]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ircli.evidence.schema import arrow_schema

    r = w.roster
    cols: dict[str, Any] = {c: r.column(c) for c in r.blocks[0].table if c != "org"}
    cols["account_id"] = list(w.account_ids)
    cols["org_id"] = list(w.org_ids)
    cols["created_at"] = pa.array(cols["created_at"], pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    accounts = pa.table({f.name: cols[f.name] for f in arrow_schema("accounts")},
                        schema=arrow_schema("accounts"))  # fmt: skip
    accounts = accounts.sort_by("account_id")
    # Non-"compliant" list naming keeps the child called "item", so the file's schema
    # reads back equal to the canonical arrow schema.
    pq.write_table(
        accounts, tmp["accounts.parquet"], compression="zstd", use_compliant_nested_type=False
    )

    pq.write_table(labels_table(w), tmp["labels.parquet"], compression="zstd")

    release = datetime.fromtimestamp(w.release_us / 1e6, UTC)
    t0 = datetime.fromtimestamp(w.t0_us / 1e6, UTC)
    when = [t0.replace() - _days(210), t0 - _days(150), release, release]
    releases = pa.table(
        {"model": list(MODELS), "released_at": when}, schema=arrow_schema("releases")
    )
    pq.write_table(releases, tmp["releases.parquet"], compression="zstd")


def _days(n: float) -> Any:
    from datetime import timedelta

    return timedelta(microseconds=math.floor(n * DAY_US))
