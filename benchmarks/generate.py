"""Benchmark: time and peak memory of generating the `small` and `medium` worlds.

Each measurement runs in a fresh subprocess (peak RSS from ``resource.getrusage``).
The baseline is pyarrow alone writing the same number of rows of random data in the
canonical ``requests`` schema, with the same compression and row-group size; the
generator's cost is printed as a ratio to it.

    python benchmarks/generate.py [--presets small,medium] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

_GENERATE = """
import json, resource, sys, time
from pathlib import Path
from dataclasses import replace
from ircli.world.presets import preset
from ircli.world.writer import generate
spec = preset(sys.argv[1])
if len(sys.argv) > 4:
    spec = replace(spec, days=int(sys.argv[4]))
t = time.perf_counter()
s = generate(spec, int(sys.argv[2]), Path(sys.argv[3]), name=sys.argv[1])
u = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": u.ru_utime + u.ru_stime,
                  "rows": s.requests, "bytes": s.files["requests.parquet"],
                  "rss_mb": u.ru_maxrss / 1024}))
"""

_BASELINE = """
import json, resource, sys, time
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
from ircli.evidence.schema import arrow_schema
rows, out = int(sys.argv[1]), sys.argv[2]
schema = arrow_schema("requests")
rng = np.random.default_rng(0)
hexa = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
def strings(n, width):
    raw = hexa[rng.integers(0, 16, size=(n, width), dtype=np.uint8)]
    return pa.array(np.ascontiguousarray(raw).view(f"S{width}").ravel()).cast(pa.string())
width = {"prompt_text": 200, "prompt_hash": 64, "system_prompt_hash": 64, "tools_hash": 64}
t = time.perf_counter()
with pq.ParquetWriter(out, schema, compression="zstd") as w:
    done = 0
    while done < rows:
        n = min(131072, rows - done)
        cols = []
        for f in schema:
            if pa.types.is_string(f.type):
                cols.append(strings(n, width.get(f.name, 20)))
            elif pa.types.is_timestamp(f.type):
                cols.append(pa.array(np.sort(rng.integers(0, 2**50, n)), f.type))
            else:
                cols.append(pa.array(rng.integers(0, 5000, n), f.type))
        w.write_table(pa.Table.from_arrays(cols, schema=schema))
        done += n
u = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": u.ru_utime + u.ru_stime,
                  "rows": rows, "rss_mb": u.ru_maxrss / 1024}))
"""


def _run(code: str, *args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Measure each preset and its baseline; print one line per preset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="small,medium")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(
        "CPU seconds include imports; wall seconds depend on how busy the machine is.\n"
        f"{'preset':<8} {'rows':>10} {'wall s':>7} {'cpu s':>6} {'rows/cpu-s':>11} {'peak MB':>8}"
        f" | {'base wall':>9} {'base cpu':>8} {'base MB':>7} | {'cpu ×':>6} {'wall ×':>6} {'mem ×':>6}"
    )
    for name in args.presets.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            gen = _run(_GENERATE, name, str(args.seed), str(Path(tmp) / "world"))
            base = _run(_BASELINE, str(int(gen["rows"])), str(Path(tmp) / "baseline.parquet"))
        print(
            f"{name:<8} {int(gen['rows']):>10,} {gen['seconds']:>7.1f} {gen['cpu']:>6.1f} "
            f"{gen['rows'] / gen['cpu']:>11,.0f} {gen['rss_mb']:>8.0f}"
            f" | {base['seconds']:>9.1f} {base['cpu']:>8.1f} {base['rss_mb']:>7.0f}"
            f" | {gen['cpu'] / base['cpu']:>6.1f} {gen['seconds'] / base['seconds']:>6.1f}"
            f" {gen['rss_mb'] / base['rss_mb']:>6.1f}"
        )
    # Bounded memory: four times the days (four times the rows) must not need four times
    # the memory, because only one day of numbers and one row group of text are held.
    name = args.presets.split(",")[0]
    with tempfile.TemporaryDirectory() as tmp:
        short = _run(_GENERATE, name, str(args.seed), str(Path(tmp) / "a"), "7")
        long = _run(_GENERATE, name, str(args.seed), str(Path(tmp) / "b"), "28")
    print(
        f"memory flatness ({name}): 7 days {int(short['rows']):,} rows {short['rss_mb']:.0f} MB,"
        f" 28 days {int(long['rows']):,} rows {long['rss_mb']:.0f} MB"
        f" -> rows x{long['rows'] / short['rows']:.1f}, peak RSS x{long['rss_mb'] / short['rss_mb']:.2f}"
    )


if __name__ == "__main__":
    main()
