"""Export of a 100,000-event incident: time and peak memory per format.

Each format runs in its own process (so peak RSS is its own), against a baseline
measured the same way: a plain loop that reads the same events from the store and
writes ``json.dumps`` of each. Figures are printed as ratios to that baseline.

    python benchmarks/export.py [--events 100000] [--formats jsonl,csv,...]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

FORMATS = ["jsonl", "csv", "md", "html", "timesketch-jsonl", "timesketch-csv", "stix"]


def build(store_path: Path, count: int) -> str:
    """An incident with ``count`` events, mostly action ledger entries and notes."""
    from ircli.core.clock import FixedClock
    from ircli.store import Store

    clock = FixedClock(datetime(2026, 3, 1, tzinfo=UTC), timedelta(milliseconds=250))
    with Store(store_path, clock=clock) as store:
        opened = store.create_incident(
            "alice",
            {"title": "Benchmark incident", "severity": "sev2", "tlp": "AMBER", "subjects": []},
        )
        inc, done, batch = opened.incident, 1, []
        while done < count:
            n = done + len(batch)
            if n % 1000 == 0:
                batch.append(
                    ("decision.recorded", {"step": f"s{n}", "option": "go", "rationale": "r" * 200})
                )
            elif n % 997 == 0:
                batch.append(
                    (
                        "evidence.added",
                        {
                            "evidence_id": f"EV-{n}",
                            "source": "logs",
                            "records": n,
                            "sha256": "a" * 64,
                        },
                    )
                )
            elif n % 3 == 0:
                batch.append(("note.added", {"text": f"observation {n}: " + "prompt text " * 12}))
            else:
                batch.append(
                    ("action.target_succeeded", {"action_id": "ACT-1", "target": f"acct-{n:06d}"})
                )
            if len(batch) == 5000 or done + len(batch) >= count:
                store.append_many(inc, batch, "alice")
                done += len(batch)
                batch = []
        return inc


def run_one(fmt: str, store_path: Path, inc: str, out: Path) -> dict[str, float]:
    """In a child process: export once, report seconds and RSS (start and peak, MiB)."""
    from ircli.config import Config
    from ircli.services.export import export_timeline
    from ircli.services.workspace import Workspace

    ws = Workspace(store_path, Config(), "bench")
    ws.store.head(inc)  # open the store before measuring
    if fmt == "stix":
        import stix2  # noqa: F401  (import cost is not export cost)
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    began, cpu_began = time.perf_counter(), time.process_time()
    if fmt == "baseline":
        with out.open("w", encoding="utf-8") as handle:
            for event in ws.store.events(inc):
                handle.write(json.dumps(event.to_dict()) + "\n")
    else:
        export_timeline(ws, inc, fmt, out)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "cpu": cpu,
        "start_mib": start_rss,
        "peak_mib": peak,
        "bytes": out.stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--repeat", type=int, default=2, help="runs per format (best is kept)")
    parser.add_argument(
        "--child", nargs=4, metavar=("FMT", "STORE", "INC", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        fmt, store, inc, out = args.child
        print(json.dumps(run_one(fmt, Path(store), inc, Path(out))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "bench.db"
        began = time.perf_counter()
        inc = build(store, args.events)
        print(
            f"built {args.events:,} events in {time.perf_counter() - began:.1f}s", file=sys.stderr
        )
        results: dict[str, dict[str, float]] = {}
        # Interleaved repetitions, best of each: the machine may be shared, and CPU time
        # (the main figure) is less sensitive to other load than wall time.
        for _ in range(args.repeat):
            for fmt in ["baseline", *args.formats.split(",")]:
                figures = _child(fmt, store, inc, Path(tmp) / f"out.{fmt}")
                best = results.setdefault(fmt, figures)
                for key in ("seconds", "cpu"):
                    best[key] = min(best[key], figures[key])
                best["peak_mib"] = max(best["peak_mib"], figures["peak_mib"])
                print(f"  {fmt}: {figures['cpu']:.2f}s cpu", file=sys.stderr)
    _print(args.events, results)


def _child(fmt: str, store: Path, inc: str, out: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", fmt, str(store), inc, str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


def _print(events: int, results: dict[str, dict[str, float]]) -> None:
    base = results["baseline"]
    base_growth = max(base["peak_mib"] - base["start_mib"], 0.1)
    print(f"export of {events:,} events; baseline = json.dumps loop over Store.events()")
    print(
        f"{'format':<18}{'cpu s':>8}{'x base':>8}{'wall s':>8}{'peak MiB':>10}"
        f"{'growth MiB':>12}{'x base':>8}{'MB out':>8}"
    )
    for fmt, r in results.items():
        growth = r["peak_mib"] - r["start_mib"]
        print(
            f"{fmt:<18}{r['cpu']:>8.2f}{r['cpu'] / base['cpu']:>8.1f}{r['seconds']:>8.2f}"
            f"{r['peak_mib']:>10.1f}{growth:>12.1f}{growth / base_growth:>8.1f}"
            f"{r['bytes'] / 1e6:>8.1f}"
        )


if __name__ == "__main__":
    main()
