"""Does a change to the analysis keep its results? Compare the JSON of two versions.

    python benchmarks/analysis_same.py DIR [DIR ...]             # working tree against main
    python benchmarks/analysis_same.py DIR --ref v1.2 --tol 1e-6 --strict
    python benchmarks/analysis_same.py                           # on a fresh tiny world

DIR holds requests/accounts(/releases).parquet, e.g. from `ircli demo generate --preset small`.
Each version runs in its own process on one thread, so that any figure whose last digits
depend on the order threads finish (sums of floating-point values) cannot pass for a change.
Prints every difference in verdicts, clusters, reasons, scores, indicator values and the
peer summaries beyond --tol; with --strict it exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, os, sys, time
from ircli.analysis import analyze
d, out = sys.argv[1], sys.argv[2]
rel = os.path.join(d, "releases.parquet")
t = time.perf_counter()
r = analyze(os.path.join(d, "requests.parquet"), os.path.join(d, "accounts.parquet"),
            rel if os.path.exists(rel) else None, threads=1).to_dict()
r["summary"].pop("seconds", None)
with open(out, "w") as f:
    json.dump(r, f, sort_keys=True)
print(time.perf_counter() - t)
"""


def export(ref: str, into: Path) -> Path:
    """The ``ircli`` package as it is at git ``ref``, unpacked under ``into``."""
    data = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "ircli"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def run(code: Path, world: Path, out: Path) -> float:
    """Analyse ``world`` with the package found under ``code``; seconds taken."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(world), str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=code,
        env={"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin"},
    )
    return float(done.stdout.strip().splitlines()[-1])


def differences(a: Any, b: Any, path: str, tol: float, out: list[str]) -> None:
    """Append to ``out`` every place where ``a`` and ``b`` differ (numbers beyond ``tol``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'new' if k in b else 'old'}")
            else:
                differences(a[k], b[k], f"{path}.{k}", tol, out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items, now {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            differences(x, y, f"{path}[{i}]", tol, out)
    elif (
        isinstance(a, int | float)
        and isinstance(b, int | float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        if abs(a - b) > tol * max(1.0, abs(a), abs(b)):
            out.append(f"{path}: {a} -> {b}")
    elif a != b:
        out.append(f"{path}: {str(a)[:120]!r} -> {str(b)[:120]!r}")


def compare(old: dict[str, Any], new: dict[str, Any], tol: float) -> list[str]:
    """All differences between two analysis results, accounts and clusters keyed by id."""
    out: list[str] = []
    differences(
        {a["account_id"]: a for a in old["accounts"]},
        {a["account_id"]: a for a in new["accounts"]},
        "accounts",
        tol,
        out,
    )
    differences(
        {c["cluster_id"]: c for c in old["clusters"]},
        {c["cluster_id"]: c for c in new["clusters"]},
        "clusters",
        tol,
        out,
    )
    differences(old["summary"], new["summary"], "summary", tol, out)
    differences(old["indicators"], new["indicators"], "indicators", tol, out)
    differences(old.get("peers", {}), new.get("peers", {}), "peers", tol, out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("worlds", nargs="*", type=Path)
    parser.add_argument("--ref", default="main", help="git ref to compare against")
    parser.add_argument("--tol", type=float, default=1e-9, help="relative tolerance")
    parser.add_argument("--show", type=int, default=40, help="differences to print")
    parser.add_argument("--strict", action="store_true", help="exit 1 on any difference")
    parser.add_argument("--keep", type=Path, help="folder to keep both results in")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="ircli-same-") as tmp:
        old_code = export(args.ref, Path(tmp) / "old")
        worlds = list(args.worlds)
        if not worlds:
            worlds.append(Path(tmp) / "tiny")
            ircli = Path(sys.executable).with_name("ircli")
            subprocess.run(
                [str(ircli), "demo", "generate", "--preset", "tiny", "--out", str(worlds[0])],
                check=True,
                capture_output=True,
            )
        for world in worlds:
            t = time.perf_counter()
            old_t = run(old_code, world, Path(tmp) / "old.json")
            new_t = run(ROOT, world, Path(tmp) / "new.json")
            old = json.loads((Path(tmp) / "old.json").read_text())
            new = json.loads((Path(tmp) / "new.json").read_text())
            diffs = compare(old, new, args.tol)
            flips = sum(
                1
                for a, b in zip(
                    sorted(old["accounts"], key=lambda r: r["account_id"]),
                    sorted(new["accounts"], key=lambda r: r["account_id"]),
                    strict=False,
                )
                if a["verdict"] != b["verdict"]
            )
            print(
                f"{world.name}: {len(old['accounts']):,} accounts, {len(old['clusters']):,} "
                f"clusters | {args.ref} {old_t:.2f} s, working tree {new_t:.2f} s (one thread) | "
                f"{len(diffs)} difference(s), {flips} verdict change(s) "
                f"[{time.perf_counter() - t:.0f} s]"
            )
            for line in diffs[: args.show]:
                print("  " + line)
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                for side, data in (("old", old), ("new", new)):
                    (args.keep / f"{world.name}-{side}.json").write_text(json.dumps(data))
            failed = failed or bool(diffs)
    sys.exit(1 if failed and args.strict else 0)


if __name__ == "__main__":
    main()
