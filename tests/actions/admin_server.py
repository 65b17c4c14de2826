"""A small, fast admin API for the containment tests and benchmark, run as a subprocess.

It behaves like a lab's account admin API that honours idempotency keys:

- ``POST /accounts/{id}/terminate`` and ``POST /accounts/{id}/reactivate`` with an
  ``Idempotency-Key`` header: the first call with a key applies its side effect and
  stores the answer; later calls with the same key get the stored answer (nothing
  applied again). Terminating an account already terminated under another key → 409.
- ``GET /_stats``: every call counted, per key and per account, and every side effect.
- Optional server-side rate limit (``--rate``, token bucket, 429 + ``Retry-After``),
  pacing (``--delay`` seconds per request), a bearer ``--token``, and ``--vanished``
  accounts that answer 404.

Usage: ``python admin_server.py --port 0 [...]``; prints ``PORT <n>`` once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from typing import Any


class AdminApi:
    """The server's state and its one request handler."""

    def __init__(self, rate: float, delay: float, token: str | None, vanished: set[str]) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * 0.05)
        self.tokens = self.capacity
        self.refilled = time.monotonic()
        self.delay = delay
        self.token = token
        self.vanished = vanished
        self.calls = 0
        self.limited = 0
        self.per_key: Counter[str] = Counter()
        self.answers: dict[str, tuple[int, dict[str, Any]]] = {}
        self.effects: Counter[str] = Counter()
        self.terminated: set[str] = set()
        self.first_call: float | None = None
        self.last_call: float | None = None

    def _allow(self) -> bool:
        if self.rate <= 0:
            return True
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.refilled) * self.rate)
        self.refilled = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    async def handle(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, Any]:
        if path == "/_stats":
            return 200, {
                "calls": self.calls,
                "limited": self.limited,
                "effects": dict(self.effects),
                "keys": len(self.per_key),
                "replays": sum(n - 1 for n in self.per_key.values()),
                "terminated": sorted(self.terminated),
                "first_call": self.first_call,
                "last_call": self.last_call,
            }
        if self.token is not None and headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": "bad token"}
        if not self._allow():
            self.limited += 1
            return 429, {"error": "slow down", "_retry_after": f"{1 / self.rate:.3f}"}
        if self.delay:
            await asyncio.sleep(self.delay)
        parts = path.strip("/").split("/")
        if method != "POST" or len(parts) != 3 or parts[0] != "accounts":
            return 404, {"error": "no such route"}
        account, verb = parts[1], parts[2]
        key = headers.get("idempotency-key", "")
        now = time.monotonic()
        self.calls += 1
        self.first_call = self.first_call or now
        self.last_call = now
        self.per_key[key] += 1
        if key and key in self.answers:
            status, body = self.answers[key]
            return status, {**body, "replayed": True}
        if account in self.vanished:
            return 404, {"error": "no such account"}
        if verb == "terminate":
            if account in self.terminated:
                answer: tuple[int, dict[str, Any]] = (409, {"error": "already terminated"})
            else:
                self.terminated.add(account)
                self.effects[account] += 1
                answer = (200, {"account": account, "terminated": True})
        elif verb == "reactivate":
            self.terminated.discard(account)
            self.effects["reactivate:" + account] += 1
            answer = (200, {"account": account, "terminated": False})
        else:
            return 404, {"error": "no such route"}
        if key:
            self.answers[key] = answer
        return answer


async def serve(api: AdminApi, port: int) -> None:
    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                if length:
                    await reader.readexactly(length)
                status, body = await api.handle(method, path.split("?")[0], headers)
                extra = ""
                if isinstance(body, dict) and "_retry_after" in body:
                    extra = f"Retry-After: {body.pop('_retry_after')}\r\n"
                data = json.dumps(body).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n{extra}\r\n".encode()
                    + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(client, "127.0.0.1", port, backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--token")
    parser.add_argument("--vanished", default="")
    args = parser.parse_args()
    vanished = {v for v in args.vanished.split(",") if v}
    asyncio.run(serve(AdminApi(args.rate, args.delay, args.token, vanished), args.port))


if __name__ == "__main__":
    main()
