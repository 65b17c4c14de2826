"""Matching Forum indicators against evidence, against DuckDB scanning the same columns once.

Writes a synthetic ``requests``/``accounts`` pair as Parquet (reserved ranges only), builds
N indicators of every supported kind, and times :func:`match_indicators` (grouping plus
matching) against a bare DuckDB ``GROUP BY`` over the same columns. Prints both and the ratio.
Run: ``.venv/bin/python benchmarks/intel_match.py [--rows N] [--indicators N]``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path


def _world(folder: Path, rows: int, seed: int = 7) -> tuple[Path, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ircli.evidence.schema import arrow_schema, field_names

    rng = random.Random(seed)
    accounts = [f"acct-{i:06d}" for i in range(max(rows // 500, 10))]
    base = 1_767_225_600_000_000  # 2026-01-01 in µs
    req: dict[str, list[object]] = {name: [None] * rows for name in field_names("requests")}
    req["request_id"] = [f"r{i}" for i in range(rows)]
    req["ts"] = [base + i * 1_000_000 for i in range(rows)]
    req["account_id"] = [rng.choice(accounts) for _ in range(rows)]
    req["src_ip"] = [
        f"10.{rng.randrange(64)}.{rng.randrange(256)}.{rng.randrange(256)}" for _ in range(rows)
    ]
    req["asn"] = [64512 + rng.randrange(500) for _ in range(rows)]
    req["user_agent"] = [f"client/{rng.randrange(200)}" for _ in range(rows)]
    req["model"] = ["m"] * rows
    req["prompt_text"] = [
        f"Explain the reasoning behind answer {rng.randrange(10_000)}" for _ in range(rows)
    ]
    req["system_prompt_hash"] = [f"{rng.randrange(300):064x}" for _ in range(rows)]
    req["input_tokens"] = [10] * rows
    req["output_tokens"] = [100] * rows
    acc: dict[str, list[object]] = {
        name: [None] * len(accounts) for name in field_names("accounts")
    }
    acc["account_id"] = accounts
    acc["payment_fingerprint"] = [f"pf-{rng.randrange(len(accounts) // 3 + 1)}" for _ in accounts]
    requests, accounts_file = folder / "requests.parquet", folder / "accounts.parquet"
    pq.write_table(pa.table(req, schema=arrow_schema("requests")), requests)
    pq.write_table(pa.table(acc, schema=arrow_schema("accounts")), accounts_file)
    return requests, accounts_file


def _indicators(n: int, key: bytes) -> list[object]:
    from ircli.core.redaction import RedactionPolicy
    from ircli.intel.indicators import IntelIndicator
    from ircli.intel.patterns import parse_pattern

    rng = random.Random(11)
    policy = RedactionPolicy(key=key)
    ua = "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'"
    shapes = [
        lambda: f"[ipv4-addr:value = '10.{rng.randrange(64)}.{rng.randrange(256)}.0/24']",
        lambda: (
            f"[ipv4-addr:value = '10.{rng.randrange(64)}.{rng.randrange(256)}.{rng.randrange(256)}']"
        ),
        lambda: f"[autonomous-system:number = {64512 + rng.randrange(1000)}]",
        lambda: f"[{ua} = 'client/{rng.randrange(400)}']",
        lambda: (
            "[ircli-fingerprint:kind = 'payment-fingerprint' AND ircli-fingerprint:value = "
            f"'{policy.token('payment', f'pf-{rng.randrange(100)}')}']"
        ),
        lambda: (
            "[ircli-fingerprint:kind = 'system-prompt' AND ircli-fingerprint:value = "
            f"'sha256:{rng.randrange(600):064x}']"
        ),
    ]
    out = []
    for i in range(n):
        pattern = shapes[i % len(shapes)]()
        out.append(
            IntelIndicator(
                id=f"indicator--00000000-0000-4000-8000-{i:012d}",
                modified="2026-01-01T00:00:00.000Z",
                pattern=pattern,
                source=None,
                source_name=None,
                terms=tuple(parse_pattern(pattern)),
            )
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--indicators", type=int, default=1_000)
    args = parser.parse_args()
    import duckdb

    from ircli.core.redaction import RedactionPolicy
    from ircli.intel.match import Evidence, match_indicators

    key = b"bench-key"
    with tempfile.TemporaryDirectory() as tmp:
        requests, accounts = _world(Path(tmp), args.rows)
        indicators = _indicators(args.indicators, key)

        con = duckdb.connect()
        start = time.perf_counter()
        for column in ("src_ip", "asn", "user_agent", "system_prompt_hash"):
            con.execute(
                f"SELECT {column}, count(*), min(ts), max(ts) FROM read_parquet('{requests}') "
                f"GROUP BY {column}"
            ).fetchall()
        baseline = time.perf_counter() - start

        start = time.perf_counter()
        evidence = Evidence([requests], [accounts])
        found = match_indicators(indicators, evidence, RedactionPolicy(key=key))
        evidence.close()
        elapsed = time.perf_counter() - start

    print(f"rows {args.rows:,}, indicators {args.indicators:,}, sightings {len(found):,}")
    print(f"duckdb group-by of the matched columns  {baseline:7.2f} s  (baseline)")
    print(
        f"match_indicators                        {elapsed:7.2f} s  ratio {elapsed / baseline:5.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
