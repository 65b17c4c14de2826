"""Requests, one day and one cohort at a time, fully vectorised.

A cohort's :class:`Behaviour` says what its accounts ask (prompt families), when
(schedule), on which model, with which token economics and network. Per-account knobs
(rate, activity window, addresses, shard, model-switch time…) come from the roster.
Every day of every cohort draws from its own seeded stream, so the output does not
depend on batch sizes and the same seed gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from hashlib import sha256
from typing import TYPE_CHECKING

import numpy as np

from ircli.world.accounts import hex_ids
from ircli.world.families import FAMILIES, family

if TYPE_CHECKING:
    import pyarrow as pa

    from ircli.world.world import World

DAY_US = 86_400_000_000
MAX_OUTPUT = 8192
STOP_REASONS = ["end_turn", "max_tokens", "refusal", "rate_limited", "tool_use"]
FAMILY_NAMES = tuple(f.name for f in FAMILIES)
ENDPOINTS = ["messages", "batch", "reseller"]

# Share of a person's requests by local hour: quiet nights, a lunch dip, an evening tail.
_DIURNAL = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4.5, 6, 6.5, 6.2, 5, 5.8, 6.4, 6.3, 6, 5.2, 4.2,
     3.8, 3.6, 3.2, 2.5, 1.6],
    dtype=float,
)  # fmt: skip
_DIURNAL /= _DIURNAL.sum()


@dataclass(frozen=True)
class Behaviour:
    """How a cohort's accounts use the API."""

    families: tuple[tuple[str, float, int], ...]  # (family, weight, index cap or 0 = unbounded)
    walk: bool = False  # the first family is walked through each account's shard
    replay: float = 0.0  # share of post-switch walk rows replaying earlier prompts
    schedule: str = "human"  # human | flat | nightly | burst | regular | waves
    weekend: float = 0.45  # weekend activity relative to weekdays
    p_lite: float = 0.3  # share of traffic on the smaller model
    p_new: float = 0.7  # share on the newest generation once the account switched
    extra_in: tuple[float, float] = (60.0, 0.8)  # system + context tokens: median, sigma
    out: tuple[float, float] = (350.0, 0.9)  # output tokens: median, sigma
    p_think: float = 0.1
    think: tuple[float, float] = (1200.0, 0.7)
    p_single: float = 0.7  # share of single-message requests
    max_turns: int = 12
    p_tool: float = 0.0  # share of tool_use stops for accounts sending tools
    endpoints: tuple[tuple[str, float], ...] = (("messages", 1.0),)
    p_end_user: float = 0.0
    p_refusal: float = 0.004
    p_limited: float = 0.002
    p_error: float = 0.002


@dataclass
class DayPart:
    """One cohort's requests for one day, as numeric columns (indices into the pools).

    Strings are materialised only per output chunk, after the day is sorted by time.
    Negative values stand for null in the optional index columns.
    """

    columns: dict[str, np.ndarray]


def day_tables(world: World, day: int, chunk: int) -> Iterator[pa.Table]:
    """Every request of window day ``day`` in time order, as tables of at most ``chunk`` rows.

    The numeric columns of the whole day are generated and sorted first; strings (ids,
    addresses, prompt texts and hashes — the bulk of the bytes) are built one chunk at a
    time, so memory holds one day of numbers but only one chunk of text.
    """
    parts = [p for c in range(len(world.cohorts)) if (p := cohort_day(world, c, day)) is not None]
    if not parts:
        return
    cols = {name: np.concatenate([p.columns[name] for p in parts]) for name in parts[0].columns}
    del parts
    order = np.argsort(cols["ts"], kind="stable")
    for number, start in enumerate(range(0, len(order), chunk)):
        sel = order[start : start + chunk]
        rng = np.random.default_rng([world.seed, 3, day, number])
        yield _chunk(world, rng, {name: values[sel] for name, values in cols.items()})


def _chunk(world: World, rng: np.random.Generator, v: dict[str, np.ndarray]) -> pa.Table:
    import pyarrow as pa

    from ircli.evidence.schema import arrow_schema

    n = len(v["ts"])
    texts = np.empty(n, dtype=object)
    for f, name in enumerate(FAMILY_NAMES):
        rows = np.flatnonzero(v["family"] == f)
        if len(rows):
            texts[rows] = family(name).texts(v["index"][rows])
    n_chars = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    prompt_tokens = np.ceil(n_chars / 3.7 * rng.uniform(0.9, 1.1, n)).astype(np.int64)
    hashes = np.empty(n, dtype=object)
    hashes[:] = [sha256(t.encode()).hexdigest() for t in texts]  # = prompt_hash(t)
    p = world.pools
    acc, addr = v["acc"], v["addr"]
    cols = {
        "request_id": pa.array(hex_ids(rng, "req_", n, 24)).cast(pa.string()),
        "ts": pa.array(v["ts"], type=pa.timestamp("us", tz="UTC")),
        "account_id": p.account_id.take(acc),
        "org_id": p.org_of_account.take(acc),
        "api_key_id": p.key_id.take(v["key"]),
        "src_ip": p.ip.take(addr),
        "asn": p.asn.take(addr),
        "asn_type": p.asn_type.take(addr),
        "country": p.country.take(addr),
        "user_agent": p.user_agent.take(v["ua"]),
        "endpoint": pa.array(ENDPOINTS).take(v["endpoint"]),
        "model": p.model.take(v["model"]),
        "prompt_text": pa.array(texts, type=pa.string(), mask=v["zdr"]),
        "prompt_hash": pa.array(hashes, type=pa.string()),
        "system_prompt_hash": _optional(p.system_prompt, v["sys"]),
        "input_tokens": pa.array(prompt_tokens + v["extra"]),
        "output_tokens": pa.array(v["output"]),
        "thinking_tokens": pa.array(v["thinking"], mask=v["thinking"] < 0),
        "n_messages": pa.array(v["turns"]),
        "tools_hash": _optional(p.tools, v["tools"]),
        "stop_reason": _optional(pa.array(STOP_REASONS), v["stop"]),
        "end_user_id": _optional(p.end_user_id, v["eu"]),
        "status": pa.array(v["status"]),
    }
    schema = arrow_schema("requests")
    return pa.table({f.name: cols[f.name] for f in schema}, schema=schema)


def cohort_day(world: World, c: int, day: int) -> DayPart | None:
    """The requests cohort ``c`` sends on window day ``day`` (None when there are none)."""
    cohort = world.cohorts[c]
    b = cohort.behaviour
    rng = np.random.default_rng([world.seed, 1, day, c])
    k = world.knobs
    lo, hi = cohort.lo, cohort.hi
    overlap = np.clip(
        np.minimum(k["end"][lo:hi], day + 1) - np.maximum(k["start"][lo:hi], day), 0, 1
    )
    factor = b.weekend if (world.start_weekday + day) % 7 >= 5 else 1.0
    counts = rng.poisson(k["rate"][lo:hi] * overlap * factor)
    n = int(counts.sum())
    if n == 0:
        return None
    acc = np.repeat(np.arange(lo, hi), counts)
    first = np.cumsum(counts) - counts  # first row of each account
    rank = np.arange(n) - np.repeat(first, counts)
    sec = _seconds(b.schedule, rng, acc, rank, np.repeat(counts, counts), k["tz"], lo, hi)
    if b.schedule == "burst":
        # A harness run starts as soon as the account moves to a new model.
        since = k["switch_us"][acc] - (world.t0_us + day * DAY_US)
        anchored = (since >= 0) & (since < DAY_US)
        sec = np.where(anchored, (since / 1e6 + rng.exponential(900, n)) % 86400, sec)
    # On an account's first and last day, squeeze its requests into the hours it exists.
    first_s = np.clip((k["start"][acc] - day) * 86400, 0, 86400)
    last_s = np.clip((k["end"][acc] - day) * 86400, 0, 86400)
    sec = first_s + sec / 86400 * np.maximum(last_s - first_s, 0)
    # Rows stay grouped by account and, within an account, in time order.
    sec = sec[np.lexsort((sec, acc))] if b.schedule != "regular" else sec
    ts = world.t0_us + day * DAY_US + (sec * 1e6).astype(np.int64)

    switched = ts >= k["switch_us"][acc]
    model = (switched & (rng.random(n) < b.p_new)) * 2 + (rng.random(n) < b.p_lite)
    fam, idx = _prompts(world, b, rng, acc, counts, first, switched)
    return _part(world, b, rng, acc, ts, model, fam, idx)


def _seconds(
    schedule: str,
    rng: np.random.Generator,
    acc: np.ndarray,
    rank: np.ndarray,
    per_acc: np.ndarray,
    tz: np.ndarray,
    lo: int,
    hi: int,
) -> np.ndarray:
    n = len(acc)
    if schedule == "flat":
        return rng.random(n) * 86400
    if schedule == "regular":
        # Automation: an even cadence per account with a small jitter.
        phase = rng.random(hi - lo) * 86400
        step = 86400 / np.maximum(per_acc, 1)
        return np.asarray((phase[acc - lo] + rank * step + rng.normal(0, 20, n)) % 86400)
    if schedule == "waves":
        # One operator's scheduler fires every account of the cluster in the same waves.
        centres = np.sort(rng.random(int(rng.integers(4, 9))) * 86400)
        wave = rng.integers(0, len(centres), n)
        return np.asarray((centres[wave] + rng.exponential(240, n)) % 86400)
    if schedule == "burst":
        centre = rng.random(hi - lo) * 86400
        return np.asarray((centre[acc - lo] + rng.exponential(500, n)) % 86400)
    # People (or nightly jobs) by local hour.
    hour = rng.integers(0, 5, n) if schedule == "nightly" else rng.choice(24, size=n, p=_DIURNAL)
    return np.asarray((hour * 3600 + rng.random(n) * 3600 - tz[acc] * 3600) % 86400)


def _prompts(
    world: World,
    b: Behaviour,
    rng: np.random.Generator,
    acc: np.ndarray,
    counts: np.ndarray,
    first: np.ndarray,
    switched: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    n = len(acc)
    weights = np.array([w for _, w, _ in b.families])
    fam = rng.choice(len(b.families), size=n, p=weights / weights.sum())
    idx = rng.integers(0, 2**62, size=n, dtype=np.int64)
    for f, (_, _, cap) in enumerate(b.families):
        if cap:
            rows = fam == f
            idx[rows] %= cap
    if b.walk:
        k = world.knobs
        cursor = world.cursor
        walking = fam == 0
        replay = walking & switched & (rng.random(n) < b.replay)
        step = (walking & ~replay).astype(np.int64)
        before = np.cumsum(step) - step
        has = counts > 0
        pos = cursor[acc] + before - np.repeat(before[first[has]], counts[has])
        old = np.floor(rng.random(n) * np.maximum(cursor[acc], 1)).astype(np.int64)
        pos = np.where(replay, old, pos)
        shard_idx = k["shard_lo"][acc] + pos % k["shard_len"][acc]
        idx = np.where(walking, shard_idx, idx)
        np.add.at(cursor, acc[step.astype(bool)], 1)
    codes = np.array([FAMILY_NAMES.index(name) for name, _, _ in b.families])
    return codes[fam], idx.astype(np.uint64)


def _lognormal(rng: np.random.Generator, spec: tuple[float, float], n: int) -> np.ndarray:
    return rng.lognormal(np.log(spec[0]), spec[1], n)


def _part(
    world: World,
    b: Behaviour,
    rng: np.random.Generator,
    acc: np.ndarray,
    ts: np.ndarray,
    model: np.ndarray,
    fam: np.ndarray,
    idx: np.ndarray,
) -> DayPart:
    k = world.knobs
    n = len(acc)
    single = rng.random(n) < b.p_single
    turns = np.where(single, 1, rng.integers(2, max(b.max_turns, 2) + 1, n))
    # System prompt and earlier turns; agent contexts grow with the conversation.
    extra = _lognormal(rng, b.extra_in, n) * k["in_scale"][acc] * (1 + 0.15 * (turns - 1))
    extra = extra.astype(np.int64)
    output = _lognormal(rng, b.out, n) * k["out_scale"][acc]
    output = np.minimum(output.astype(np.int64) + 1, MAX_OUTPUT)
    thinking = np.minimum(_lognormal(rng, b.think, n).astype(np.int64), 32000)
    has_think = rng.random(n) < b.p_think

    has_tools = k["tools"][acc] >= 0
    stop = np.where(output >= MAX_OUTPUT, 1, 0)  # codes into STOP_REASONS
    stop = np.where(has_tools & (rng.random(n) < b.p_tool), 4, stop)
    refusal = rng.random(n) < b.p_refusal
    stop = np.where(refusal, 2, stop)
    output = np.where(refusal, rng.integers(15, 90, n), output)
    status = np.full(n, 200, dtype=np.int64)
    r = rng.random(n)
    limited = r < b.p_limited
    failed = (~limited) & (r < b.p_limited + b.p_error)
    status = np.where(
        limited, 429, np.where(failed, np.where(r < b.p_limited + b.p_error / 2, 500, 529), status)
    )
    stop = np.where(limited, 3, stop)
    bad = status != 200
    output = np.where(bad, 0, output)

    addr = k["addr_lo"][acc] + (rng.random(n) * k["addr_n"][acc]).astype(np.int64)
    key = k["key_lo"][acc] + (rng.random(n) * k["key_n"][acc]).astype(np.int64)
    eu_rows = (k["eu_n"][acc] > 0) & (rng.random(n) < b.p_end_user)
    eu = k["eu_lo"][acc] + (rng.random(n) * np.maximum(k["eu_n"][acc], 1)).astype(np.int64)
    ep_w = np.array([w for _, w in b.endpoints])
    endpoint = rng.choice(len(b.endpoints), size=n, p=ep_w / ep_w.sum())

    codes = np.array([ENDPOINTS.index(name) for name, _ in b.endpoints])
    return DayPart(
        {
            "ts": ts,
            "acc": acc,
            "key": key,
            "addr": addr,
            "ua": k["ua"][acc],
            "endpoint": codes[endpoint],
            "model": model,
            "sys": k["sys"][acc],
            "tools": k["tools"][acc],
            "output": output,
            "thinking": np.where(has_think & ~bad, thinking, -1),
            "turns": turns,
            "stop": np.where(failed, -1, stop),
            "eu": np.where(eu_rows, eu, -1),
            "status": status,
            "family": fam,
            "index": idx,
            "zdr": k["zdr"][acc],
            "extra": extra,
        }
    )


def _optional(values: pa.Array, index: np.ndarray) -> pa.Array:
    import pyarrow as pa

    missing = index < 0
    return values.take(pa.array(np.where(missing, 0, index), mask=missing))
