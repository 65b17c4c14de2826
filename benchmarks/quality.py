"""Detection quality on generated worlds: the issue's quality bar, seed by seed.

    python benchmarks/quality.py                                          # small, seeds 21-23
    python benchmarks/quality.py --preset small --seeds 21 22 23
    python benchmarks/quality.py --preset small --seeds 21 --reword     # other wording
    python benchmarks/quality.py --world DIR [--world DIR ...]          # worlds already on disk

Per world it prints the figures of ``ircli demo score`` that miss their target, the
exchange-weighted recall and the adjusted Rand index. ``--reword`` rewrites the prompts'
instructions with other words of the same meaning (and recomputes their hashes) before
analysing: how much of the detection rests on the wording the generator happens to use.
Develop on some seeds and judge on others; a seed looked at while tuning proves nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Same meaning, other words: reasoning requests, grading requests, coercion, curricula.
REWORDINGS = (
    ("step[ -]by[ -]step", "one stage at a time"),
    ("explain your reasoning", "lay out the logic you used"),
    ("chain of reasoning", "sequence of inferences"),
    ("reasoning", "logic"),
    ("thought process", "line of logic"),
    ("rubric", "criteria list"),
    ("impartial judge", "neutral assessor"),
    ("judge", "assessor"),
    ("score", "mark"),
    ("grade", "mark"),
    ("think in", "run your inner monologue in"),
    ("lesson", "module"),
)


def reword(src: Path, dst: Path) -> None:
    """Copy the world in ``src`` to ``dst`` with its prompts reworded."""
    import duckdb

    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.name != "requests.parquet":
            shutil.copy(f, dst / f.name)
    expr = "prompt_text"
    for old, new in REWORDINGS:
        expr = f"regexp_replace({expr}, '{old}', '{new}', 'gi')"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE ({expr} AS prompt_text, CASE WHEN prompt_text IS NULL "
        f"THEN prompt_hash ELSE sha256({expr}) END AS prompt_hash) "
        f"FROM read_parquet('{src / 'requests.parquet'}')) "
        f"TO '{dst / 'requests.parquet'}' (FORMAT parquet)"
    )


def ircli(*args: str) -> str:
    """Run the CLI and return its stdout (fails loudly)."""
    cmd = [sys.executable, "-m", "ircli", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def measure(world: Path) -> dict[str, object]:
    """Analyse one world and score it against its labels."""
    out = world / "analysis.json"
    args = ["analyze", "--requests", str(world / "requests.parquet")]
    args += ["--accounts", str(world / "accounts.parquet"), "-o", str(out)]
    if (world / "releases.parquet").exists():
        args += ["--releases", str(world / "releases.parquet")]
    ircli(*args)
    card = json.loads(
        ircli(
            "demo",
            "score",
            "--labels",
            str(world / "labels.parquet"),
            "--analysis",
            str(out),
            "--json",
        )
    )
    return card


def report(name: str, card: dict[str, object]) -> None:
    """One line per world, then the figures that miss their targets."""
    print(
        f"{name}: passed={card['passed']} exchange-weighted recall="
        f"{card['exchange_weighted_recall']:.4f} ARI={card['adjusted_rand_index']:.3f}"
    )
    for kind in ("recall", "false_positive_rate"):
        for arch, fig in card[kind].items():  # type: ignore[attr-defined]
            bad = fig["value"] < fig["target"] if kind == "recall" else fig["value"] > fig["target"]
            if bad:
                print(f"    {kind} {arch}: {fig['value']:.3f} (target {fig['target']})")


def main() -> None:
    """Generate (or take) worlds, optionally reword them, analyse and score each."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--preset", default="small")
    p.add_argument("--seeds", type=int, nargs="*", default=[])
    p.add_argument("--world", type=Path, action="append", default=[])
    p.add_argument("--reword", action="store_true")
    a = p.parse_args()
    if not a.seeds and not a.world:
        a.seeds = [21, 22, 23]  # `make bench`: three small worlds
    with tempfile.TemporaryDirectory() as tmp:
        worlds = [(str(w), w) for w in a.world]
        for seed in a.seeds:
            d = Path(tmp) / f"{a.preset}-{seed}"
            ircli("demo", "generate", "--preset", a.preset, "--seed", str(seed), "--out", str(d))
            worlds.append((f"{a.preset} seed {seed}", d))
        for name, world in worlds:
            if a.reword:
                reworded = Path(tmp) / (world.name + "-reworded")
                reword(world, reworded)
                name, world = name + " (reworded)", reworded
            report(name, measure(world))


if __name__ == "__main__":
    main()
