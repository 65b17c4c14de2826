"""A small JSON log API on loopback, standing in for a lab's own request-log API.

Run as a subprocess by the tests and the benchmark::

    python evidence_logapi.py --file requests.jsonl [--token T] [--page-size N]
    python evidence_logapi.py --synthetic 200000 [--page-size N]

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
import sys
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, str(Path(__file__).parent))
from evidence_world import to_api_native  # noqa: E402

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def synthetic(i: int) -> dict[str, Any]:
    """Record ``i`` of the synthetic stream (canonical names)."""
    ts = T0 + timedelta(milliseconds=i * 250)
    return {
        "request_id": f"r{i:09d}",
        "ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "account_id": f"acct-{i % 997:04d}",
        "org_id": f"org-{i % 13}",
        "src_ip": f"10.{i % 200}.{i % 97}.{i % 251}",
        "asn": 64512 + i % 50,
        "asn_type": "resproxy" if i % 3 else "hosting",
        "country": "DE",
        "user_agent": "sdk/1.0",
        "endpoint": "messages",
        "model": "model-a",
        "prompt_text": f"Explain the reasoning behind this finished answer #{i}",
        "prompt_hash": None,
        "input_tokens": 100 + i % 400,
        "output_tokens": 900 + i % 1000,
        "thinking_tokens": 2000 + i % 3000,
        "n_messages": 1,
        "stop_reason": "end_turn",
        "status": 200,
    }


class LogApi:
    """The data behind the server."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.token: str | None = args.token
        self.page_size: int = args.page_size
        self.count: int = args.synthetic
        self.records: list[dict[str, Any]] | None = None
        if args.file:
            with open(args.file, encoding="utf-8") as handle:
                self.records = [json.loads(line) for line in handle if line.strip()]
            self.count = len(self.records)

    def page(self, query: dict[str, str]) -> bytes:
        limit = min(int(query.get("limit", self.page_size)), 10_000)
        cursor = query.get("cursor")
        start = int(base64.urlsafe_b64decode(cursor.encode()).decode()) if cursor else 0
        if self.records is None:
            end = min(start + limit, self.count)
            rows = [synthetic(i) for i in range(start, end)]
            nxt = end if end < self.count else None
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
    args = parser.parse_args()
    api = LogApi(args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(api))
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
