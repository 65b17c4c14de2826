"""A small JSON log API on loopback, standing in for a lab's own request-log API.

Run as a subprocess by the tests and the benchmark::

    python evidence_logapi.py --file requests.jsonl [--token T] [--page-size N]
    python evidence_logapi.py --synthetic 200000 [--page-size N] [--cache]

Prints ``PORT <n>`` once it listens on 127.0.0.1. ``GET /v1/requests`` takes
``cursor``, ``limit``, ``accounts`` (comma-separated), ``since`` and ``until`` (ISO) and
answers ``{"data": [...], "next_cursor": "..." | null}``. With ``--file`` it serves the
canonical records in the API's native shape (see ``evidence_world.to_api_native``); with
``--synthetic`` it makes record *i* on the fly, the same every time.
"""

from __future__ import annotations

import argparse
import base64
import json
import socket
import sys
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, str(Path(__file__).parent))
from evidence_world import to_api_native

T0 = datetime(2026, 3, 1, tzinfo=UTC)


_DAYS: dict[int, str] = {}
_LINE = (
    '{"request_id": "r%09d", "ts": "%sT%02d:%02d:%02d.%03d000Z", "account_id": "acct-%04d", '
    '"org_id": "org-%d", "src_ip": "10.%d.%d.%d", "asn": %d, "asn_type": "%s", '
    '"country": "DE", "user_agent": "sdk/1.0", "endpoint": "messages", "model": "model-a", '
    '"prompt_text": "Explain the reasoning behind this finished answer #%d", '
    '"prompt_hash": null, "input_tokens": %d, "output_tokens": %d, "thinking_tokens": %d, '
    '"n_messages": 1, "stop_reason": "end_turn", "status": 200}'
)


def synthetic_json(i: int) -> str:
    """Record ``i`` of the synthetic stream as JSON text (fast: the server's hot path)."""
    ms = i * 250
    day, rest = divmod(ms, 86_400_000)
    if day not in _DAYS:
        _DAYS[day] = (T0 + timedelta(days=day)).strftime("%Y-%m-%d")
    hh, rest = divmod(rest, 3_600_000)
    mm, rest = divmod(rest, 60_000)
    ss, milli = divmod(rest, 1000)
    return _LINE % (
        i, _DAYS[day], hh, mm, ss, milli, i % 997, i % 13, i % 200, i % 97, i % 251,
        64512 + i % 50, "resproxy" if i % 3 else "hosting", i, 100 + i % 400,
        900 + i % 1000, 2000 + i % 3000,
    )  # fmt: skip


def synthetic(i: int) -> dict[str, Any]:
    """Record ``i`` of the synthetic stream (canonical names)."""
    return dict(json.loads(synthetic_json(i)))


class LogApi:
    """The data behind the server."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.token: str | None = args.token
        self.page_size: int = args.page_size
        self.count: int = args.synthetic
        self.records: list[dict[str, Any]] | None = None
        self.cache: dict[str, bytes] | None = {} if args.cache else None
        if args.file:
            with open(args.file, encoding="utf-8") as handle:
                self.records = [json.loads(line) for line in handle if line.strip()]
            self.count = len(self.records)

    def page(self, query: dict[str, str]) -> bytes:
        if self.cache is None:
            return self._page(query)
        key = json.dumps(query, sort_keys=True)
        if key not in self.cache:
            self.cache[key] = self._page(query)
        return self.cache[key]

    def _page(self, query: dict[str, str]) -> bytes:
        limit = min(int(query.get("limit", self.page_size)), 10_000)
        cursor = query.get("cursor")
        start = int(base64.urlsafe_b64decode(cursor.encode()).decode()) if cursor else 0
        if self.records is None:
            end = min(start + limit, self.count)
            nxt = end if end < self.count else None
            token = base64.urlsafe_b64encode(str(nxt).encode()).decode() if nxt else None
            body = ",".join(synthetic_json(i) for i in range(start, end))
            return f'{{"data": [{body}], "next_cursor": {json.dumps(token)}}}'.encode()
        else:
            accounts = set(filter(None, query.get("accounts", "").split(",")))
            since, until = query.get("since"), query.get("until")
            rows, i = [], start
            while i < self.count and len(rows) < limit:
                rec = self.records[i]
                i += 1
                if accounts and rec["account_id"] not in accounts:
                    continue
                if since and _us(rec["ts"]) < _us(since):
                    continue
                if until and _us(rec["ts"]) >= _us(until):
                    continue
                rows.append(to_api_native(rec))
            nxt = i if i < self.count else None
        token = base64.urlsafe_b64encode(str(nxt).encode()).decode() if nxt is not None else None
        return json.dumps({"data": rows, "next_cursor": token}, ensure_ascii=False).encode()


def _us(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def make_handler(api: LogApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            # Headers and body leave in two writes; with Nagle on, a keep-alive
            # connection stalls each page by a delayed ACK (~40 ms).
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().setup()

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path != "/v1/requests":
                return self._send(404, b'{"error": "not found"}')
            if api.token and self.headers.get("Authorization") != f"Bearer {api.token}":
                return self._send(401, b'{"error": "unauthorized"}')
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            self._send(200, api.page(query))

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the tests read stdout for the port only

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file")
    parser.add_argument("--synthetic", type=int, default=0)
    parser.add_argument("--token")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--cache", action="store_true", help="keep rendered pages (benchmarks)")
    args = parser.parse_args()
    api = LogApi(args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(api))
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
