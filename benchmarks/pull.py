"""Evidence pull throughput and memory (DESIGN §15).

1. Throughput: records/s of ``pull_evidence`` from the loopback log API (cursor pages)
   against a bare sequential httpx loop fetching and parsing the same pages, in the same
   run; the ratio's goal is >= 0.8. The server keeps rendered pages so that both loops
   measure the client, not the server.
2. Memory: peak RSS of a pull, each in a fresh process, from 100k to 2M records; the goal
   is a flat line (the pull streams to Parquet in bounded batches).

Run: ``.venv/bin/python benchmarks/pull.py [--records N] [--page-size N] [--rss 100000,2000000]``.
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

ROOT = Path(__file__).resolve().parents[1]
LOGAPI = ROOT / "tests" / "evidence" / "evidence_logapi.py"
GOAL = 0.8


def start_server(records: int, page_size: int, cache: bool) -> tuple[subprocess.Popen[str], str]:
    args = [sys.executable, str(LOGAPI), "--synthetic", str(records), "--page-size", str(page_size)]
    proc = subprocess.Popen(
        [*args, *(["--cache"] if cache else [])], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, f"http://127.0.0.1:{int(line.split()[1])}/v1/requests"


def bare_loop(url: str) -> tuple[int, float, float]:
    """The baseline: fetch every page, parse it, follow the cursor. Nothing else."""
    import httpx

    start, cpu = time.perf_counter(), time.process_time()
    count, cursor = 0, None
    with httpx.Client() as client:
        while True:
            response = client.get(url, params={"cursor": cursor} if cursor else None)
            response.raise_for_status()
            doc = response.json()
            count += len(doc["data"])
            cursor = doc["next_cursor"]
            if not cursor:
                break
    return count, time.perf_counter() - start, time.process_time() - cpu


def pull(url: str, folder: Path, checkpoint: int = 50_000) -> tuple[int, float, float]:
    """``pull_evidence`` into a fresh store: fetch, validate, normalise, hash, write Parquet."""
    from ircli.config import parse_config
    from ircli.services.evidence import pull_evidence
    from ircli.services.incidents import open_incident
    from ircli.services.workspace import Workspace

    source = {"type": "http", "url": url, "records": "data", "checkpoint_records": checkpoint}
    config = parse_config({"sources": {"api": source}})
    with Workspace(folder / "store.db", config, "bench") as ws:
        incident = open_incident(ws, title="benchmark").id
        start, cpu = time.perf_counter(), time.process_time()
        item = pull_evidence(ws, incident, "api")
        return item.records, time.perf_counter() - start, time.process_time() - cpu


def throughput(records: int, page_size: int, rounds: int) -> None:
    proc, url = start_server(records, page_size, cache=True)
    bare_rates, pull_rates, bare_cpu, pull_cpu = [], [], [], []
    try:
        bare_loop(url)  # the server renders and keeps every page once
        for r in range(rounds):
            # Each round measures both, back to back, so a busy spell of the machine
            # weighs on the two alike; the paired ratios say how steady the figure is.
            n, seconds, cpu = bare_loop(url)
            bare_rates.append(n / seconds)
            bare_cpu.append(n / cpu)
            with tempfile.TemporaryDirectory() as tmp:
                m, seconds, cpu = pull(url, Path(tmp))
            assert m == n == records, (m, n)
            pull_rates.append(m / seconds)
            pull_cpu.append(m / cpu)
            print(
                f"  round {r + 1}: bare {bare_rates[-1]:,.0f}  pull {pull_rates[-1]:,.0f} "
                f"records/s  ratio {pull_rates[-1] / bare_rates[-1]:.2f}"
            )
    finally:
        proc.kill()
    best_bare, best_pull = max(bare_rates), max(pull_rates)
    paired = sorted(p / b for p, b in zip(pull_rates, bare_rates, strict=True))
    print(f"bare httpx loop   {best_bare:12,.0f} records/s  (baseline, best of {rounds})")
    print(
        f"evidence pull     {best_pull:12,.0f} records/s  ratio {best_pull / best_bare:.2f}  "
        f"goal >= {GOAL}"
    )
    print(f"paired ratios     median {paired[len(paired) // 2]:.2f}  (min {paired[0]:.2f})")
    # CPU seconds per record are steadier than wall time on a shared machine.
    print(
        f"per CPU second    bare {max(bare_cpu):,.0f}  pull {max(pull_cpu):,.0f}  "
        f"ratio {max(pull_cpu) / max(bare_cpu):.2f}"
    )


def rss_child(url: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        n, seconds, _ = pull(url, Path(tmp))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"records": n, "seconds": seconds, "peak_rss_mb": peak_kb / 1024}))


def memory(sizes: list[int], page_size: int) -> None:
    print("records      seconds   records/s   peak RSS")
    for size in sizes:
        proc, url = start_server(size, page_size, cache=False)
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--rss-child", url],
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            proc.kill()
        data = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{data['records']:>9,}  {data['seconds']:9.1f}  {data['records'] / data['seconds']:10,.0f}"
            f"   {data['peak_rss_mb']:7.0f} MB"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--rss", default="100000,500000,2000000", help="sizes for the RSS runs ('' skips)"
    )
    parser.add_argument("--rss-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # this tree's ircli, in the RSS child too
    if args.rss_child:
        rss_child(args.rss_child)
        return 0
    print(f"throughput: {args.records:,} records in pages of {args.page_size}")
    throughput(args.records, args.page_size, args.rounds)
    if args.rss:
        print("\npeak memory of one pull (fresh process each)")
        memory([int(s) for s in args.rss.split(",")], args.page_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
