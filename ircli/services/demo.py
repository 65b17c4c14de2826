"""The demo behind ``make demo``: a generated world and a distillation incident, ready to walk.

``prepare_demo`` does, once per demo folder (later calls reuse what is there):

1. generates the ``tiny`` synthetic world into ``DIR/world`` (labels stay in their own file);
2. writes ``DIR/ircli.toml`` with two ``file`` sources on it (requests and accounts);
3. opens an incident from the distillation playbook with three seed accounts of one
   campaign, as a detector's page would name them, and runs the playbook until it needs a
   responder: evidence is preserved, the cluster expanded and assessed, intel checked —
   the responder takes over at the exculpatory check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ircli.core.clock import parse_ts
from ircli.core.incident import Incident
from ircli.services.incidents import get_incident, list_incidents
from ircli.services.workspace import Workspace

DEMO_TITLE = "CoT harvesting through a hydra cluster of trial accounts"
DEMO_SEED = 7

DEMO_CONFIG = """\
# The demo's configuration: two file sources on the generated world.
# (A real deployment points [sources] at its log API or ClickHouse, and adds
# [actions.contain] and [forum]; see the README.)
responder = "{responder}"

[store]
path = "store.db"

[sources.logs]
type = "file"
table = "requests"
path = "world/requests.parquet"

[sources.accounts]
type = "file"
table = "accounts"
path = "world/accounts.parquet"
"""

Progress = Callable[[str], None]


@dataclass
class Demo:
    """What ``prepare_demo`` made or found."""

    directory: Path
    config_path: Path
    store_path: Path
    incident: Incident
    waiting_for: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "directory": str(self.directory),
            "config": str(self.config_path),
            "store": str(self.store_path),
            "incident": self.incident.to_dict(),
            "waiting_for": self.waiting_for,
        }


def demo_store_path(directory: Path) -> Path:
    """Where the demo keeps its store inside ``directory``."""
    return directory / "store.db"


def prepare_demo(
    directory: Path, *, actor: str | None = None, progress: Progress | None = None
) -> Demo:
    """Make (or reuse) the demo world, config and incident in ``directory``."""
    say = progress or (lambda message: None)
    directory.mkdir(parents=True, exist_ok=True)
    world = directory / "world"
    if not (world / "world.json").is_file():
        from ircli.services.world import generate_world

        say(f"generating the tiny synthetic world in {world} …")
        generate_world("tiny", DEMO_SEED, world, force=world.exists())
    config_path = directory / "ircli.toml"
    if not config_path.is_file():
        # The responder is whoever runs the demo (--as, their config, or the OS user).
        name = Workspace.from_environment(store=demo_store_path(directory), actor=actor).actor
        config_path.write_text(DEMO_CONFIG.format(responder=name), encoding="utf-8")
    ws = Workspace.from_environment(
        store=demo_store_path(directory), actor=actor, config_path=config_path
    )
    try:
        incident, waiting = _ensure_incident(ws, world, say)
        return Demo(directory, config_path, ws.store_path, incident, waiting)
    finally:
        ws.close()


def _ensure_incident(ws: Workspace, world: Path, say: Progress) -> tuple[Incident, str | None]:
    from ircli.services.answers import AnswersResponder
    from ircli.services.runs import advance, start_run

    existing = [i for i in list_incidents(ws) if i.title == DEMO_TITLE]
    intake: dict[str, Any] = {}
    if existing:
        incident = existing[0].id
    else:
        seeds, start = _seeds_and_start(world)
        # The window reaches back to the world's first day, whenever the demo runs.
        days = (ws.clock() - start).days + 2
        intake = {"seeds": seeds, "window": f"{days}d", "alert": "DEMO-ALERT-1"}
        incident, _ = start_run(ws, "distillation", title=DEMO_TITLE, inputs=intake)
        say(f"opened {incident}; preserving evidence and analysing (a few seconds) …")
    # The detector's page answers the intake form; every later step is the responder's.
    outcome = advance(ws, incident, AnswersResponder({"intake": intake} if intake else {}))
    waiting = outcome.waiting.get("step") if outcome.waiting else None
    return get_incident(ws, incident), waiting


def _seeds_and_start(world: Path) -> tuple[list[str], datetime]:
    """Three accounts of the largest campaign (as a detector would page) and the first day."""
    import duckdb

    labels = str(world / "labels.parquet")
    requests = str(world / "requests.parquet")
    with duckdb.connect() as con:
        campaign = con.execute(
            "SELECT campaign_id FROM read_parquet(?) WHERE campaign_id IS NOT NULL "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
            [labels],
        ).fetchall()[0][0]
        seeds = [
            str(r[0])
            for r in con.execute(
                "SELECT account_id FROM read_parquet(?) WHERE campaign_id = ? "
                "ORDER BY account_id LIMIT 3",
                [labels, campaign],
            ).fetchall()
        ]
        first = con.execute("SELECT min(ts) FROM read_parquet(?)", [requests]).fetchall()[0][0]
    return seeds, parse_ts(first.isoformat())
