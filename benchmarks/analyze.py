"""Analysis speed and memory against DuckDB's plain scan of the same columns.

    python benchmarks/analyze.py DIR [DIR ...]        # folders with requests/accounts/releases.parquet
    python benchmarks/analyze.py --preset medium      # generate with `ircli demo generate` first

Prints, per world: rows, the floor (one plain DuckDB scan touching every column the analysis
reads), the analysis wall time, their ratio (goal <= 3x) and the analysis's peak RSS (goal
<= 4 GB at 16M requests). The analysis runs in a child process so its peak memory is its own.
"""

from __future__ import annotations

import argparse
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
import sys, time
from ircli.analysis import analyze
d = sys.argv[1]
rel = d + "/releases.parquet"
import os
t = time.perf_counter()
r = analyze(d + "/requests.parquet", d + "/accounts.parquet", rel if os.path.exists(rel) else None)
print(time.perf_counter() - t, r.summary["accounts"], r.summary["alerted"])
"""


def floor(path: Path) -> tuple[float, int]:
    """Seconds for one plain scan touching every column, and the row count."""
    import duckdb

    con = duckdb.connect()
    cols = ", ".join(f"count({c})" for c in COLUMNS) + ", sum(length(prompt_text))"
    t = time.perf_counter()
    row = con.execute(f"SELECT count(*), {cols} FROM read_parquet('{path}')").fetchall()[0]
    return time.perf_counter() - t, int(row[0])


def run(folder: Path) -> None:
    """Measure one world."""
    scan, rows = floor(folder / "requests.parquet")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder)], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - t
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    inner, accounts, alerted = out.stdout.strip().splitlines()[-1].split()
    print(
        f"{folder.name}: {rows:,} requests, {int(accounts):,} accounts, {int(alerted):,} alerted | "
        f"scan floor {scan:.2f} s | analysis {float(inner):.2f} s ({wall:.2f} s with start-up) | "
        f"ratio {float(inner) / scan:.1f}x (goal <= 3x) | peak RSS {max(peak_kb, before) / 1024:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--preset", action="append", default=[])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folders = list(args.folders)
    for preset in args.preset:
        out = Path(tempfile.mkdtemp(prefix=f"ircli-bench-{preset}-"))
        subprocess.run(
            [
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
    if not folders:
        folders.append(Path("demo-world"))
    for folder in folders:
        run(folder)


if __name__ == "__main__":
    main()
