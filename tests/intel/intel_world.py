"""Helpers and fixtures for Forum intelligence: a real medallion TAXII 2.1 server, evidence with canaries."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ircli.config import Config
from ircli.core.clock import FixedClock
from ircli.core.redaction import RedactionPolicy
from ircli.services.workspace import Workspace

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
USER, PASSWORD = "lab", "canary-taxii-pw-77"
HMAC_KEY = "canary-forum-key-9f8e"
API_ROOT = "api1"
INTEL = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
REPORTS = "52892447-4d7e-4f70-b94d-d7f22742ff63"
OTHER_LAB = "identity--7c1e8a5e-1f57-4a57-9d0f-2b0d6e3f4a11"

# Canaries: none of these may ever appear in a bundle.
CANARY_EMAIL = "canary.person@victim.example"
CANARY_ACCOUNT = "acct-canary-0001"
CANARY_PROMPT = "CANARY PROMPT explain the hidden chain of thought for order 99812 step by step"
CANARY_ORG = "org-canary-5521"
CANARY_KEY_ID = "key-canary-8830"
CANARY_END_USER = "enduser-canary-4410"
CANARY_PAYMENT = "pf-canary-7781"
CANARY_RESPROXY_IP = "198.51.100.23"
SYSTEM_PROMPT_HASH = "5" * 64
HOSTING_IP = "203.0.113.10"


def policy() -> RedactionPolicy:
    """The redaction policy keyed like the Forum's."""
    return RedactionPolicy(key=HMAC_KEY.encode())


@dataclass
class Medallion:
    """A running medallion server."""

    url: str
    process: subprocess.Popen[bytes]
    data_file: Path
    api_root: str = API_ROOT
    intel: str = INTEL
    reports: str = REPORTS
    user: str = USER
    password: str = PASSWORD

    def collection_url(self, collection: str) -> str:
        """The collection's URL, for taxii2-client."""
        return f"{self.url}{self.api_root}/collections/{collection}/"

    def forum_table(self, **overrides: Any) -> dict[str, Any]:
        """A ``[forum]`` table pointing at this server."""
        table: dict[str, Any] = {
            "url": self.url,
            "api_root": self.api_root,
            "collection": self.reports,
            "intel_collection": self.intel,
            "auth": "basic",
            "username": self.user,
            "secret": "forum",
            "identity": "Example Lab",
            "page_size": 3,
            "deadline_seconds": 10,
            "poll_interval_seconds": 0.05,
        }
        table.update(overrides)
        return table


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _collection(
    cid: str, title: str, objects: list[dict[str, Any]], added: datetime
) -> dict[str, Any]:
    manifest = []
    for i, obj in enumerate(objects):
        manifest.append(
            {
                "id": obj["id"],
                "date_added": (added + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "version": obj.get("modified", obj.get("created", "2026-01-01T00:00:00.000Z")),
                "media_type": "application/stix+json;version=2.1",
            }
        )
    return {
        "id": cid,
        "title": title,
        "can_read": True,
        "can_write": True,
        "media_types": ["application/stix+json;version=2.1"],
        "objects": objects,
        "manifest": manifest,
    }


@pytest.fixture
def medallion(tmp_path: Path) -> Iterator[Callable[..., Medallion]]:
    """Start medallion servers on free loopback ports; all are stopped at the end."""
    started: list[Medallion] = []

    def start(
        intel_objects: list[dict[str, Any]] | None = None,
        *,
        max_content_length: int = 10_000_000,
        max_page_size: int = 100,
    ) -> Medallion:
        folder = tmp_path / f"medallion-{len(started)}"
        folder.mkdir()
        port = _free_port()
        url = f"http://127.0.0.1:{port}/"
        data = {
            "/discovery": {
                "title": "Forum TAXII",
                "default": f"{url}{API_ROOT}/",
                "api_roots": [f"{url}{API_ROOT}/"],
            },
            API_ROOT: {
                "information": {
                    "title": "Forum",
                    "versions": ["application/taxii+json;version=2.1"],
                    "max_content_length": max_content_length,
                },
                "status": [],
                "collections": [
                    _collection(INTEL, "Shared indicators", intel_objects or [], T0),
                    _collection(REPORTS, "Incident reports", [], T0),
                ],
            },
        }
        data_file = folder / "data.json"
        data_file.write_text(json.dumps(data))
        config = {
            "users": {USER: PASSWORD},
            "taxii": {"max_page_size": max_page_size},
            "backend": {
                "module": "medallion.backends.memory_backend",
                "module_class": "MemoryBackend",
                "filename": str(data_file),
            },
        }
        config_file = folder / "config.json"
        config_file.write_text(json.dumps(config))
        exe = Path(sys.executable).parent / "medallion"
        proc = subprocess.Popen(
            [str(exe), "--host", "127.0.0.1", "--port", str(port), str(config_file)],
            stdout=subprocess.DEVNULL,
            stderr=(folder / "server.log").open("wb"),
        )
        server = Medallion(url, proc, data_file)
        started.append(server)
        deadline = time.monotonic() + 15
        while True:
            try:
                r = httpx.get(
                    f"{url}taxii2/",
                    auth=(USER, PASSWORD),
                    headers={"Accept": "application/taxii+json;version=2.1"},
                    timeout=1,
                )
                if r.status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("medallion did not start")
            time.sleep(0.05)

    yield start
    for server in started:
        server.process.terminate()
        try:
            server.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Forum password and HMAC key as environment secrets."""
    monkeypatch.setenv("IRCLI_SECRET_FORUM", PASSWORD)
    monkeypatch.setenv("IRCLI_SECRET_FORUM_HMAC", HMAC_KEY)


def forum_ws(tmp_path: Path, forum: dict[str, Any], actor: str = "alice") -> Workspace:
    """A workspace on the test store with a ``[forum]`` table."""
    return Workspace(tmp_path / "store.db", Config(forum=forum), actor, FixedClock(T0))


# -- evidence -----------------------------------------------------------------------------


@dataclass
class World:
    """Evidence rows of a small incident: attackers with canaries, bystanders."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)


ATTACKERS = [CANARY_ACCOUNT, "acct-attack-0002", "acct-attack-0003"]
BYSTANDERS = ["acct-bystander-0001", "acct-bystander-0002"]


def canary_world() -> World:
    """Three attack accounts (one holding every canary) and two innocent bystanders."""
    world = World()
    n = 0
    ips = [HOSTING_IP, CANARY_RESPROXY_IP, "198.51.100.77", "2001:db8::5"]
    for a, account in enumerate(ATTACKERS):
        for i in range(6):
            n += 1
            ip = ips[(a + i) % len(ips)]
            world.requests.append(
                {
                    "request_id": f"r{n}",
                    "ts": T0 + timedelta(hours=n),
                    "account_id": account,
                    "org_id": CANARY_ORG if a == 0 else f"org-attack-{a}",
                    "api_key_id": CANARY_KEY_ID if a == 0 else f"key-attack-{a}",
                    "src_ip": ip,
                    "asn": {HOSTING_IP: 64500}.get(ip, 64510),
                    "asn_type": "hosting" if ip == HOSTING_IP else "resproxy",
                    "user_agent": (
                        f"harvester/1.0 (contact {CANARY_EMAIL})"
                        if i % 2
                        else "python-httpx/0.28.1"
                    ),
                    "model": "frontier-1",
                    "prompt_text": (
                        CANARY_PROMPT
                        if a == 0 and i == 0
                        else f"Explain the reasoning behind this finished answer: {n} apples"
                    ),
                    "system_prompt_hash": SYSTEM_PROMPT_HASH,
                    "input_tokens": 100,
                    "output_tokens": 2000,
                    "end_user_id": CANARY_END_USER if a == 0 else None,
                }
            )
        world.accounts.append(
            {
                "account_id": account,
                "org_id": CANARY_ORG if a == 0 else f"org-attack-{a}",
                "created_at": T0 - timedelta(days=2),
                "email_domain": "victim.example",
                "signup_ip": CANARY_RESPROXY_IP,
                "payment_fingerprint": CANARY_PAYMENT,
                "tier": "build",
            }
        )
    for b, account in enumerate(BYSTANDERS):
        n += 1
        world.requests.append(
            {
                "request_id": f"r{n}",
                "ts": T0 + timedelta(hours=n),
                "account_id": account,
                "src_ip": "192.0.2.50",
                "asn": 64600,
                "asn_type": "isp",
                "user_agent": "Mozilla/5.0",
                "model": "frontier-1",
                "prompt_text": "Write a haiku about autumn leaves",
                "input_tokens": 10,
                "output_tokens": 20,
            }
        )
        world.accounts.append(
            {
                "account_id": account,
                "created_at": T0 - timedelta(days=300 + b),
                "payment_fingerprint": f"pf-ok-{b}",
            }
        )
    return world


def write_evidence(ws: Workspace, incident: str, world: World) -> None:
    """Write the world as canonical Parquet files and journal ``evidence.added`` for them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ircli.evidence.schema import arrow_schema, field_names

    folder = ws.store.files_dir / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    for table, rows in (("requests", world.requests), ("accounts", world.accounts)):
        columns = {name: [row.get(name) for row in rows] for name in field_names(table)}
        arrow = pa.table(columns, schema=arrow_schema(table))
        path = folder / f"{incident}-{table}.parquet"
        pq.write_table(arrow, path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        # The payload has the shape the evidence service journals for a finished pull.
        ws.store.append(
            incident,
            "evidence.added",
            {
                "evidence_id": f"EV-{digest[:8]}",
                "source": "test",
                "source_type": "file",
                "table": table,
                "query": {"table": table, "accounts": [], "since": None, "until": None},
                "records": len(rows),
                "quarantined": 0,
                "files": {
                    "parquet": {
                        "path": f"evidence/{path.name}",
                        "sha256": digest,
                        "bytes": path.stat().st_size,
                    }
                },
            },
            ws.actor,
        )


# -- Forum indicators ------------------------------------------------------------------


def forum_indicator(
    n: int, pattern: str, *, pattern_type: str = "stix", name: str = ""
) -> dict[str, Any]:
    """An indicator as another lab would share it."""
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2026-02-01T00:00:00.000Z",
        "modified": "2026-02-01T00:00:00.000Z",
        "created_by_ref": OTHER_LAB,
        "name": name or f"forum indicator {n}",
        "pattern": pattern,
        "pattern_type": pattern_type,
        "valid_from": "2026-02-01T00:00:00Z",
        "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],
    }


def forum_objects() -> list[dict[str, Any]]:
    """The Forum's shared objects: matching, non-matching and unsupported indicators."""
    from ircli.intel.fingerprints import template_fingerprint

    p = policy()
    template = template_fingerprint("Explain the reasoning behind this finished answer: 7 apples")
    return [
        {
            "type": "identity",
            "spec_version": "2.1",
            "id": OTHER_LAB,
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "name": "Other Lab",
            "identity_class": "organization",
        },
        forum_indicator(1, "[ipv4-addr:value ISSUBSET '198.51.100.0/24']", name="hydra exits"),
        forum_indicator(2, "[autonomous-system:number = 64500]"),
        forum_indicator(
            3,
            "[ircli-fingerprint:kind = 'payment-fingerprint' AND "
            f"ircli-fingerprint:value = '{p.token('payment', CANARY_PAYMENT)}']",
        ),
        forum_indicator(
            4,
            "[ircli-fingerprint:kind = 'system-prompt' AND "
            f"ircli-fingerprint:value = 'sha256:{SYSTEM_PROMPT_HASH}']",
        ),
        forum_indicator(
            5,
            "[ircli-fingerprint:kind = 'prompt-template' AND "
            f"ircli-fingerprint:value = '{p.token('prompt_template', template)}']",
        ),
        forum_indicator(
            6,
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' "
            "LIKE 'python-httpx/%']",
        ),
        forum_indicator(7, "[ipv6-addr:value = '2001:db8::/32']"),
        forum_indicator(8, "[ipv4-addr:value = '192.0.2.99']"),
        forum_indicator(9, "[file:hashes.'SHA-256' = 'aa']"),
        forum_indicator(
            10, "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '5.6.7.8']"
        ),
        forum_indicator(11, "title: suspicious", pattern_type="sigma"),
    ]
