"""Start-up time of ``ircli --help`` against a bare ``python -c pass`` (DESIGN §15: < 150 ms).

Prints the medians of N runs of each, measured in the same process, and their ratio.
Run: ``.venv/bin/python benchmarks/startup.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_MS = 150.0


def _median_ms(cmd: list[str], runs: int) -> float:
    subprocess.run(cmd, capture_output=True, check=True)  # warm the OS caches once
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("ircli")
    ircli = [str(script)] if script.exists() else [shutil.which("ircli") or "ircli"]
    baseline = _median_ms([sys.executable, "-c", "pass"], args.runs)
    help_ms = _median_ms([*ircli, "--help"], args.runs)
    version_ms = _median_ms([*ircli, "--version"], args.runs)
    print(f"python -c pass     median {baseline:7.1f} ms  (baseline)")
    print(f"ircli --help       median {help_ms:7.1f} ms  ratio {help_ms / baseline:5.2f}x")
    print(f"ircli --version    median {version_ms:7.1f} ms  ratio {version_ms / baseline:5.2f}x")
    verdict = "meets" if help_ms < GOAL_MS else "MISSES"
    print(f"goal: ircli --help under {GOAL_MS:.0f} ms: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
