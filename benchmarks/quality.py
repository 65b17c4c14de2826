"""Detection quality on generated worlds: the issue's quality bar, seed by seed.

    python benchmarks/quality.py                                          # small, seeds 21-23
    python benchmarks/quality.py --preset small --seeds 21 22 23
    python benchmarks/quality.py --preset small --seeds 21 --reword     # other wording
    python benchmarks/quality.py --seeds 41 42 --paraphrase             # an independent bank
    python benchmarks/quality.py --seeds 41 --no-text                   # hashes only
    python benchmarks/quality.py --world DIR [--world DIR ...]          # worlds already on disk
    python benchmarks/quality.py --seeds 74 --accounts hydra_cot=0 --accounts sharded_slow=80 --days 10
                                                                        # another mix (--scale too)

Per world it prints the figures of ``ircli demo score`` that miss their target, the
exchange-weighted recall and the adjusted Rand index. ``--reword`` rewrites the prompts'
instructions with other words of the same meaning (and recomputes their hashes) before
analysing: how much of the detection rests on the wording the generator happens to use.
Its substitutes have since entered the analysis's lexicon, so it no longer proves much.

``--paraphrase`` is the honest test: the world is generated with every prompt family's
instructions written anew (``phrasebank.py``, same intents and payloads, wording the
lexicon does not know; it prints how much of each bank the lexicon still recognises).
``--no-text`` drops the prompt text and keeps the hashes (zero-retention logs).
``--drop COLUMN`` (repeatable, with any of the above) drops a canonical column from the
requests or accounts, as a source that does not export it would: ``--drop
payment_fingerprint --drop card_bin`` shows how much the clusters lean on payment data.
Develop on some seeds and judge on others; a seed looked at while tuning proves nothing,
and so does one mix: ``--accounts``, ``--days`` and ``--scale`` generate others (archetype
counts up, down or zero, short and long windows), with either wording.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

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


def _copy_beside_requests(src: Path, dst: Path) -> None:
    """Copy every file of the world in ``src`` but its requests (which the caller rewrites)."""
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.name != "requests.parquet":
            shutil.copy(f, dst / f.name)


def reword(src: Path, dst: Path) -> None:
    """Copy the world in ``src`` to ``dst`` with its prompts reworded."""
    import duckdb

    _copy_beside_requests(src, dst)
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


def strip_text(src: Path, dst: Path) -> None:
    """Copy the world in ``src`` to ``dst`` with no prompt text (hashes kept)."""
    import duckdb

    _copy_beside_requests(src, dst)
    duckdb.connect().execute(
        f"COPY (SELECT * REPLACE (NULL::VARCHAR AS prompt_text) "
        f"FROM read_parquet('{src / 'requests.parquet'}')) "
        f"TO '{dst / 'requests.parquet'}' (FORMAT parquet)"
    )


def drop_columns(src: Path, dst: Path, columns: list[str]) -> None:
    """Copy the world in ``src`` to ``dst`` without ``columns`` (in requests or accounts).

    Sources export different subsets of the canonical schema: a log pipeline without
    payment data, an export without network fields. This shows what the analysis leans on.
    """
    import duckdb

    con = duckdb.connect()
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.name not in ("requests.parquet", "accounts.parquet"):
            shutil.copy(f, dst / f.name)
            continue
        present = {
            r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{f}')").fetchall()
        }
        gone = [c for c in columns if c in present]
        exclude = f" EXCLUDE ({', '.join(gone)})" if gone else ""
        con.execute(
            f"COPY (SELECT *{exclude} FROM read_parquet('{f}')) TO '{dst / f.name}' (FORMAT parquet)"
        )


def generate_paraphrased(preset: str, seed: int, out: Path, **mix: Any) -> None:
    """Generate a world whose prompt families speak the independent phrase bank.

    Same seed, same accounts, traffic and payloads as the plain world: only the wording of
    the instructions around the payloads differs.
    """
    sys.path.insert(0, str(Path(__file__).parent))
    import phrasebank

    from ircli.services.world import generate_world
    from ircli.world import traffic

    original = traffic.family
    traffic.family = phrasebank.lookup(original)  # type: ignore[assignment]
    try:
        generate_world(preset, seed, out, **mix)
    finally:
        traffic.family = original  # type: ignore[assignment]


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
    """One line per world with every figure, then the figures that miss their targets."""
    recall = card["recall"]
    fpr = card["false_positive_rate"]
    policy = card.get("policy_routing")
    worst = max(fpr.items(), key=lambda kv: kv[1]["value"])  # type: ignore[attr-defined]
    print(
        f"{name}: passed={card['passed']} ew-recall={card['exchange_weighted_recall']:.4f} "
        f"ARI={card['adjusted_rand_index']:.3f} "
        f"policy={policy['value'] if policy else float('nan'):.3f} "  # type: ignore[index]
        f"max-FPR={worst[1]['value']:.4f} ({worst[0]})\n    recall: "
        + " ".join(f"{k}={v['value']:.3f}" for k, v in sorted(recall.items()))  # type: ignore[attr-defined]
    )
    for kind in ("recall", "false_positive_rate"):
        for arch, fig in card[kind].items():  # type: ignore[attr-defined]
            bad = fig["value"] < fig["target"] if kind == "recall" else fig["value"] > fig["target"]
            if bad:
                print(f"    MISS {kind} {arch}: {fig['value']:.4f} (target {fig['target']})")
    sys.stdout.flush()


def main() -> None:
    """Generate (or take) worlds, optionally reword them, analyse and score each."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--preset", default="small")
    p.add_argument("--seeds", type=int, nargs="*", default=[])
    p.add_argument("--world", type=Path, action="append", default=[])
    p.add_argument("--accounts", action="append", default=[], metavar="ARCHETYPE=N")
    p.add_argument("--days", type=int)
    p.add_argument("--scale", type=float)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--reword", action="store_true")
    mode.add_argument("--paraphrase", action="store_true")
    mode.add_argument("--no-text", action="store_true")
    p.add_argument("--drop", action="append", default=[], metavar="COLUMN")
    a = p.parse_args()
    if a.paraphrase:
        sys.path.insert(0, str(Path(__file__).parent))
        import phrasebank

        print("share of prompts the lexicon recognises (generator's wording -> bank's):")
        for fam, (before, after) in phrasebank.coverage().items():
            print(f"    {fam:14s} {before:5.0%} -> {after:4.0%}")
    if not a.seeds and not a.world:
        a.seeds = [21, 22, 23]  # `make bench`: three small worlds
    counts = {k: int(v) for k, v in (x.split("=", 1) for x in a.accounts)}
    mix_args = [arg for x in a.accounts for arg in ("--accounts", x)]
    mix_args += ["--days", str(a.days)] if a.days else []
    mix_args += ["--scale", str(a.scale)] if a.scale else []
    with tempfile.TemporaryDirectory() as tmp:
        worlds = [(str(w), w) for w in a.world]
        for seed in a.seeds:
            d = Path(tmp) / f"{a.preset}-{seed}"
            name = f"{a.preset} seed {seed}" + (f" [{' '.join(mix_args)}]" if mix_args else "")
            if a.paraphrase:
                generate_paraphrased(
                    a.preset, seed, d, scale=a.scale, accounts=counts or None, days=a.days
                )
                worlds.append((f"{name} (paraphrased)", d))
                continue
            ircli(
                "demo", "generate", "--preset", a.preset, "--seed", str(seed), "--out", str(d),
                *mix_args,
            )  # fmt: skip
            worlds.append((name, d))
        for name, world in worlds:
            if a.reword:
                reworded = Path(tmp) / (world.name + "-reworded")
                reword(world, reworded)
                name, world = name + " (reworded)", reworded
            elif a.no_text:
                bare = Path(tmp) / (world.name + "-no-text")
                strip_text(world, bare)
                name, world = name + " (no text)", bare
            if a.drop:
                fewer = Path(tmp) / (world.name + "-fewer")
                drop_columns(world, fewer, a.drop)
                name, world = name + f" (without {', '.join(a.drop)})", fewer
            report(name, measure(world))


if __name__ == "__main__":
    main()
