"""Analysis speed and memory against DuckDB's plain scan of the same columns.

    python benchmarks/analyze.py DIR [DIR ...]        # folders with requests/accounts/releases.parquet
    python benchmarks/analyze.py --preset medium      # generate with `ircli demo generate` first

Prints, per world: rows, the floor (one plain DuckDB scan touching every column the analysis
reads), the analysis wall time, their ratio (goal <= 3x) and the analysis's peak RSS (goal
<= 4 GB at 16M requests). The analysis runs in a child process so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLUMNS = (
    "account_id", "ts", "org_id", "src_ip", "asn_type", "country", "user_agent", "endpoint",
    "model", "prompt_text", "prompt_hash", "system_prompt_hash", "tools_hash", "input_tokens",
    "output_tokens", "thinking_tokens", "n_messages", "stop_reason", "end_user_id", "status",
)  # fmt: skip

CHILD = """
import json, os, sys, time
from ircli.analysis import engine, features, linking, coordination, indicators, tables

# Phase timings (wall and CPU seconds; CPU counts every DuckDB thread): wrap the steps the
# engine calls, without changing it. A step called inside another is counted in its own phase.
phases, cpu, stack = {}, {}, []
def timed(mod, name, label):
    fn = getattr(mod, name, None)
    if fn is None:  # an older or newer engine without this step
        return
    def run(*a, **k):
        t, c = time.perf_counter(), time.process_time()
        stack.append([0.0, 0.0])
        try:
            return fn(*a, **k)
        finally:
            inner_w, inner_c = stack.pop()
            w, u = time.perf_counter() - t, time.process_time() - c
            phases[label] = phases.get(label, 0.0) + w - inner_w
            cpu[label] = cpu.get(label, 0.0) + u - inner_c
            if stack:
                stack[-1][0] += w
                stack[-1][1] += u
    setattr(mod, name, run)
timed(tables, "register", "load")
timed(tables, "has_values", "load")
timed(features, "build", "joining features")
timed(features, "prepare", "load")
timed(features, "load_requests", "load")
for name, label in [("behaviour", "behaviour"), ("content", "content classification"),
                    ("timing", "timing/regularity"), ("overlap", "overlap"),
                    ("lifecycle", "lifecycle"), ("addresses", "identity"), ("identity", "identity")]:
    timed(features, name, label)
for name in ("build_tokens", "link", "components"):
    timed(linking, name, "linking graph")
timed(linking, "communities", "communities (Leiden)")
timed(coordination, "build", "coordination")
timed(indicators, "compute", "indicator table")
timed(linking, "minimal_evidence", "verdicts and evidence")
timed(engine, "_judge_all", "verdicts and evidence")
d = sys.argv[1]
rel = d + "/releases.parquet"
t = time.perf_counter()
r = engine.analyze(d + "/requests.parquet", d + "/accounts.parquet", rel if os.path.exists(rel) else None)
done = time.perf_counter()
json.dumps(r.to_dict())
phases["writing JSON"] = time.perf_counter() - done
print(json.dumps({k: [v, cpu.get(k, v)] for k, v in phases.items()}))
print(done - t, r.summary["accounts"], r.summary["alerted"])
"""


def floor(path: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds for one plain scan touching every column (best of three), rows."""
    import duckdb

    con = duckdb.connect()
    cols = ", ".join(f"count({c})" for c in COLUMNS) + ", sum(length(prompt_text))"
    best, best_cpu, rows = float("inf"), float("inf"), 0
    # Best of three: on a shared machine one scan can land on a busy moment.
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        row = con.execute(f"SELECT count(*), {cols} FROM read_parquet('{path}')").fetchall()[0]
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
        rows = int(row[0])
    return best, best_cpu, rows


def run(folder: Path) -> None:
    """Measure one world."""
    scan, scan_cpu, rows = floor(folder / "requests.parquet")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder)], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds are steadier than wall seconds when other work shares the machine.
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    lines = out.stdout.strip().splitlines()
    phases = json.loads(lines[-2])
    inner, accounts, alerted = lines[-1].split()
    print(
        f"{folder.name}: {rows:,} requests, {int(accounts):,} accounts, {int(alerted):,} alerted | "
        f"scan floor {scan:.2f} s | analysis {float(inner):.2f} s ({wall:.2f} s with start-up) | "
        f"ratio {float(inner) / scan:.1f}x (goal <= 3x) | CPU {cpu:.1f} s vs scan {scan_cpu:.2f} s "
        f"= {cpu / max(scan_cpu, 1e-9):.1f}x | peak RSS {after.ru_maxrss / 1024:.0f} MB"
    )
    print(
        "  phase (wall s / CPU s): "
        + " | ".join(
            f"{k} {w:.2f}/{c:.2f}" for k, (w, c) in sorted(phases.items(), key=lambda kv: -kv[1][1])
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--preset", action="append", default=[])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folders = list(args.folders)
    if not folders and not args.preset:
        args.preset = ["small"]  # `make bench`: a world generated on the spot
    for preset in args.preset:
        out = Path(tempfile.mkdtemp(prefix=f"ircli-bench-{preset}-"))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ircli",
                "demo",
                "generate",
                "--preset",
                preset,
                "--seed",
                str(args.seed),
                "--out",
                str(out),
            ],
            check=True,
        )
        folders.append(out)
    for folder in folders:
        run(folder)


if __name__ == "__main__":
    main()
