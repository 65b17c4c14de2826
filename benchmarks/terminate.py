"""Bulk termination against a rate-limited loopback admin API (DESIGN §15).

1. Rate: 24,000 targets against a server that allows N requests/s (token bucket, 429 +
   Retry-After beyond it); the client is configured with the same rate. Prints the
   achieved rate as a ratio of N (goal ≥ 0.9).
2. Resume: the same action run by the CLI in a subprocess, SIGKILLed once a fraction of
   the targets is done, then resumed; prints resume time against the remaining targets,
   for two kill points, so proportionality (and the fixed overhead) can be read off.

Usage: python benchmarks/terminate.py [--targets 24000] [--limit 100] [--concurrency 16]
(24,000 targets at 100 req/s: about 4 minutes per part, 12 in all.)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "tests" / "actions" / "admin_server.py"
TOKEN = "bench-token"


def start_server(limit: float) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "--port", "0", "--rate", str(limit), "--token", TOKEN],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline().split()[1])
    return process, f"http://127.0.0.1:{port}"


def write_config(path: Path, url: str, limit: float, concurrency: int) -> None:
    path.write_text(
        "[actions.contain]\n"
        'type = "http"\n'
        f'base_url = "{url}"\n'
        'token_secret = "admin"\n'
        'url = "/accounts/{account_id}/terminate"\n'
        "approvals = 0\n"
        "ceiling = 100000\n"
        f"rate = {limit}\n"
        f"concurrency = {concurrency}\n"
    )


def ircli(store: Path, config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "ircli", "--store", str(store), "--config", str(config), *args]


def stats(url: str) -> dict:
    return httpx.get(f"{url}/_stats", timeout=30).json()


def bare_capacity(concurrency: int, requests: int = 3000) -> float:
    """Requests/s a bare httpx loop reaches against the same server with no limit: the
    baseline that says what this machine can do at all, measured in the same run."""
    import asyncio
    import socket

    server, url = start_server(0)

    async def loop() -> float:
        nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        transport = httpx.AsyncHTTPTransport(limits=limits, socket_options=nodelay)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, transport=transport) as client:
            gate = asyncio.Semaphore(concurrency)

            async def one(i: int) -> None:
                async with gate:
                    await client.post(
                        f"/accounts/b{i}/terminate",
                        json={"account": f"b{i}"},
                        headers={"Idempotency-Key": f"k{i}"},
                    )

            started = time.monotonic()
            await asyncio.gather(*(one(i) for i in range(requests)))
            return requests / (time.monotonic() - started)

    try:
        return asyncio.run(loop())
    finally:
        server.terminate()


class _Skip(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=24_000)
    parser.add_argument("--limit", type=float, default=100.0, help="server-side requests/s")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--parts", default="rate,resume", help="rate, resume or both")
    parser.add_argument("--fractions", default="0.5,0.9", help="kill points of the resume part")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    os.environ["IRCLI_SECRET_ADMIN"] = TOKEN
    work = Path(tempfile.mkdtemp(prefix="ircli-bench-"))
    n, limit = args.targets, args.limit
    targets = work / "targets.txt"

    targets.write_text("".join(f"acct-{i:06d}\n" for i in range(n)))
    capacity = bare_capacity(args.concurrency)
    print(f"client capacity        {capacity:.0f} req/s (bare httpx loop, no limit, same run)")
    if capacity < limit:
        print("warning: this machine cannot reach the limit at all; lower --limit")

    # -- 1. rate ---------------------------------------------------------------------
    full_rate = min(limit, capacity)  # used by part 2 alone: the best the run could do
    server, url = start_server(limit)
    try:
        if "rate" not in parts:
            raise _Skip
        config = work / "ircli.toml"
        write_config(config, url, limit, args.concurrency)
        store = work / "rate.db"
        subprocess.run(
            ircli(store, config, "incident", "new", "--title", "bench"),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ircli(store, config, "act", "1", "contain", "--targets", str(targets)),
            check=True,
            capture_output=True,
        )
        started = time.monotonic()
        done = subprocess.run(
            ircli(store, config, "act", "1", "contain", "--execute", "--json"),
            capture_output=True,
            text=True,
        )
        wall = time.monotonic() - started
        summary = json.loads(done.stdout)
        seen = stats(url)
        run_s = summary["run"]["elapsed_s"]
        achieved = summary["ledger"]["succeeded"] / run_s
        print(f"targets                {n}")
        print(f"server limit N         {limit:.0f} req/s")
        print(f"acting time            {run_s:.1f} s (command wall {wall:.1f} s)")
        print(f"achieved rate          {achieved:.1f} req/s")
        print(f"achieved / N           {achieved / limit:.3f}   (goal >= 0.9)")
        print(
            f"achieved / capacity    {achieved / min(limit, capacity):.3f}   (of min(N, capacity))"
        )
        print(f"server 429s            {seen['limited']}; effects {len(seen['effects'])}")
        full_rate = achieved
    except _Skip:
        pass
    finally:
        server.terminate()

    # -- 2. resume -------------------------------------------------------------------
    for fraction in [float(f) for f in args.fractions.split(",")] if "resume" in parts else []:
        server, url = start_server(limit)
        try:
            config = work / f"resume-{fraction}.toml"
            write_config(config, url, limit, args.concurrency)
            store = work / f"resume-{fraction}.db"
            subprocess.run(
                ircli(store, config, "incident", "new", "--title", "b"),
                check=True,
                capture_output=True,
            )
            subprocess.run(
                ircli(store, config, "act", "1", "contain", "--targets", str(targets)),
                check=True,
                capture_output=True,
            )
            process = subprocess.Popen(
                ircli(store, config, "act", "1", "contain", "--execute"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            while stats(url)["calls"] < n * fraction and process.poll() is None:
                time.sleep(0.2)
            process.send_signal(signal.SIGKILL)
            process.wait()
            before = stats(url)["calls"]
            started = time.monotonic()
            done = subprocess.run(
                ircli(store, config, "act", "1", "contain", "--execute", "--json"),
                capture_output=True,
                text=True,
            )
            wall = time.monotonic() - started
            summary = json.loads(done.stdout)
            remaining = summary["run"]["targets"]
            after = stats(url)
            ideal = remaining / full_rate
            print(
                f"-- killed at {fraction:.0%}: resumed {remaining} remaining targets "
                f"({summary['run']['resumed']} were in flight)"
            )
            print(
                f"   resume wall {wall:.1f} s; remaining/achieved-rate {ideal:.1f} s; "
                f"overhead {wall - ideal:+.1f} s; per remaining target "
                f"{1000 * wall / max(remaining, 1):.2f} ms"
            )
            assert summary["ledger"]["succeeded"] == n, summary["ledger"]
            assert len(after["effects"]) == n and set(after["effects"].values()) == {1}
            print(
                f"   server: {after['calls'] - before} calls in resume, "
                f"{after['replays']} replayed keys, every effect exactly once"
            )
        finally:
            server.terminate()


if __name__ == "__main__":
    main()
