"""A small canonical data set for evidence tests (until the synthetic world generator
lands), and the native shapes the test log APIs serve it in."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

T0 = datetime(2026, 3, 1, tzinfo=UTC)

PROMPTS = [
    "Explain the reasoning behind this finished answer: {n}",
    "Résous pas à pas : {n} × 17",
    "用中文逐步解释这个证明 {n}",
    "Grade this answer with the rubric below (1-10). Answer: {n}",
    "\x1b]0;pwned\x07 rewrite safely {n}",
    '=HYPERLINK("http://evil.example") {n}',
    "<script>alert({n})</script> [bold red]markup[/]",
]


def canonical_requests(n: int = 3000, accounts: int = 40, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` canonical request records (JSON-able: ISO timestamps with µs)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ts = T0 + timedelta(seconds=i * 37, microseconds=rng.randrange(1_000_000))
        text = rng.choice(PROMPTS).format(n=i) if rng.random() < 0.9 else None
        out.append(
            {
                "request_id": f"req-{i:07d}",
                "ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "account_id": f"acct-{rng.randrange(accounts):04d}",
                "org_id": f"org-{rng.randrange(8):02d}" if rng.random() < 0.8 else None,
                "api_key_id": f"key-{rng.randrange(100):03d}",
                "src_ip": rng.choice(["10.1.2.3", "100.64.0.9", "2001:db8::17", None]),
                "asn": rng.choice([64512, 64600, 4200000001, None]),
                "asn_type": rng.choice(["hosting", "resproxy", "isp", None]),
                "country": rng.choice(["US", "DE", "SG", None]),
                "user_agent": rng.choice(["anthropic-sdk/1.2", "curl/8.0", "agent\x1b[2J", None]),
                "endpoint": rng.choice(["messages", "batch", "reseller"]),
                "model": rng.choice(["model-a", "model-b"]),
                "prompt_text": text,
                "prompt_hash": hashlib.sha256(text.encode()).hexdigest() if text else None,
                "system_prompt_hash": rng.choice([None, "ab" * 32]),
                "input_tokens": rng.randrange(10, 4000),
                "output_tokens": rng.randrange(10, 8000),
                "thinking_tokens": rng.choice([None, rng.randrange(0, 20000)]),
                "n_messages": rng.randrange(1, 9),
                "tools_hash": None,
                "stop_reason": rng.choice(["end_turn", "max_tokens", "refusal"]),
                "end_user_id": rng.choice([None, f"eu-{rng.randrange(50)}"]),
                "status": rng.choice([200, 200, 200, 429]),
            }
        )
    return out


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    """Write canonical records as JSONL."""
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def epoch_us(iso: str) -> int:
    """An ISO timestamp as µs since the epoch."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def to_api_native(record: dict[str, Any]) -> dict[str, Any]:
    """The shape the test HTTP log API serves: renamed fields, tokens as strings."""
    native = dict(record)
    native["acct"] = native.pop("account_id")
    native["time"] = native.pop("ts")
    native["tokens_in"] = str(native.pop("input_tokens"))
    return native


API_MAPPING = {
    "account_id": "acct",
    "ts": "time",
    "input_tokens": {"field": "tokens_in", "transform": "int"},
}


def write_config(path: Path, sources: dict[str, dict[str, Any]]) -> Path:
    """Write an ircli.toml with these ``[sources.NAME]`` tables."""

    def value(v: Any) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + " }"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(v)

    lines = []
    for name, table in sources.items():
        lines.append(f"[sources.{name}]")
        lines.extend(f"{json.dumps(k)} = {value(v)}" for k, v in table.items())
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
