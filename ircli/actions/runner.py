"""The runner: acts on many targets with bounded concurrency, a rate limit and retries,
writing the ledger in batches without ever sending a call the journal does not know about.

Crash safety rests on one ordering rule: a target's ``action.target_started`` event (with
its idempotency key) is committed *before* its request is sent. Targets are marked in
flight a chunk at a time — one transaction, one sync, for up to ``batch`` targets — and
outcomes are buffered and committed with the next chunk or after ``flush_interval``. A
crash can therefore lose outcomes, never intents: the next run finds those targets in
flight and re-sends them with the same key (or, for SCIM, reads the user first), so no
target is acted on twice and none is missed.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ircli.actions.base import ActionPlugin, Mode, Result, Target
from ircli.actions.ledger import FAILED, SKIPPED, STARTED, SUCCEEDED

if TYPE_CHECKING:
    import httpx

Sink = Callable[[list[tuple[str, dict[str, Any]]]], None]
"""Appends ledger events durably (one transaction per call)."""
Progress = Callable[[int, int], None]


@dataclass(slots=True)
class RunTotals:
    """What one run did."""

    targets: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    resumed: int = 0
    retries: int = 0
    requests: int = 0
    elapsed: float = 0.0
    stopped: str | None = None
    failures: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "targets": self.targets,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "skipped": self.skipped,
            "resumed": self.resumed,
            "retries": self.retries,
            "requests": self.requests,
            "elapsed_s": round(self.elapsed, 3),
            "stopped": self.stopped,
        }


class RateLimiter:
    """At most ``rate`` acquisitions per second, shared by all workers, FIFO.

    Each caller reserves the next free slot and sleeps until it; a short stall of the
    event loop may be caught up by at most ``burst`` slots, so the long-run rate never
    exceeds ``rate``. :meth:`pause` pushes every later slot back (a 429 storm with
    ``Retry-After`` is a signal for the whole run, not for one worker).
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.burst = burst if burst is not None else max(1.0, rate * 0.01)
        self.clock = clock
        self.next = clock()

    async def acquire(self) -> None:
        """Wait for this caller's slot."""
        now = self.clock()
        slot = max(self.next, now - self.burst * self.interval)
        self.next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def pause(self, seconds: float) -> None:
        """No slot before ``seconds`` from now."""
        self.next = max(self.next, self.clock() + seconds)


async def run_targets(
    plugin: ActionPlugin,
    client: httpx.AsyncClient,
    targets: Sequence[Target],
    *,
    mode: Mode,
    step: str,
    key_for: Callable[[str], str],
    sink: Sink,
    on_progress: Progress | None = None,
    batch: int | None = None,
    flush_interval: float = 0.5,
    cancel: Callable[[], bool] | None = None,
) -> RunTotals:
    """Act on ``targets`` and write the ledger through ``sink``; returns the totals.

    Stops early (leaving unfinished targets ``in_flight``, none marked failed) when the
    account system refuses the credentials, or when ``cancel()`` turns true.
    """
    import httpx

    settings = plugin.settings
    totals = RunTotals(targets=len(targets), resumed=sum(t.resumed for t in targets))
    limiter = RateLimiter(settings.rate)
    gate = asyncio.Semaphore(settings.concurrency)
    size = batch or min(max(settings.concurrency * 4, 64), 1000)
    buffer: list[tuple[str, dict[str, Any]]] = []
    last_flush = time.monotonic()
    started_at = last_flush
    done = 0
    tasks: set[asyncio.Task[None]] = set()

    def flush() -> None:
        nonlocal last_flush
        if buffer:
            pending = list(buffer)
            buffer.clear()
            sink(pending)
        last_flush = time.monotonic()

    def halted() -> bool:
        return totals.stopped is not None or (cancel is not None and cancel())

    def record(target: Target, key: str, result: Result) -> None:
        nonlocal done
        base: dict[str, Any] = {
            "step": step,
            "mode": mode,
            "account_id": target.account,
            "key": key,
        }
        if result.status == "succeeded":
            totals.succeeded += 1
            base["effect"] = result.effect or "done"
            if result.reason:
                base["reason"] = result.reason
            buffer.append((SUCCEEDED, base))
        elif result.status == "skipped":
            totals.skipped += 1
            buffer.append((SKIPPED, {**base, "reason": result.reason}))
        else:
            totals.failed += 1
            totals.failures[target.account] = result.reason
            buffer.append(
                (FAILED, {**base, "reason": result.reason, "permanent": result.permanent})
            )
        if result.http_status is not None:
            buffer[-1][1]["http_status"] = result.http_status
        done += 1
        if on_progress is not None:
            on_progress(done, totals.targets)
        if time.monotonic() - last_flush >= flush_interval:
            flush()

    async def attempt(target: Target, key: str) -> Result | None:
        tries = 0
        while True:
            await limiter.acquire()
            if halted():
                return None
            tries += 1
            totals.requests += 1
            try:
                result = await plugin.perform(client, target, key, mode)
            except httpx.TimeoutException:
                result = Result("retry", reason="timed out")
            except httpx.TransportError as exc:
                result = Result("retry", reason=f"connection failed ({type(exc).__name__})")
            if result.status == "auth":
                if totals.stopped is None:
                    totals.stopped = result.reason
                return None
            if result.status != "retry":
                return result
            if tries >= settings.max_attempts:
                return Result(
                    "failed",
                    reason=f"gave up after {tries} attempts: {result.reason}",
                    http_status=result.http_status,
                    permanent=False,
                )
            totals.retries += 1
            delay = _delay(result, tries, settings.backoff, settings.max_backoff)
            if result.retry_after is not None:
                limiter.pause(delay)
            await asyncio.sleep(delay)
            # The failed attempt may have landed after all: reconcile before the next one.
            target = replace(target, resumed=True)

    async def work(target: Target, key: str) -> None:
        try:
            result = await attempt(target, key)
            if result is not None:
                record(target, key, result)
        finally:
            gate.release()

    try:
        for start in range(0, len(targets), size):
            if halted():
                break
            chunk = targets[start : start + size]
            keys = [key_for(t.account) for t in chunk]
            buffer.extend(
                (STARTED, {"step": step, "mode": mode, "account_id": t.account, "key": k})
                for t, k in zip(chunk, keys, strict=True)
            )
            flush()  # durable intent before any of these calls is sent
            for target, key in zip(chunk, keys, strict=True):
                await gate.acquire()
                if halted():
                    gate.release()
                    break
                task = asyncio.create_task(work(target, key))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*list(tasks))
    finally:
        for task in list(tasks):
            task.cancel()
        flush()
        totals.elapsed = time.monotonic() - started_at
    return totals


def _delay(result: Result, tries: int, base: float, cap: float) -> float:
    if result.retry_after is not None:
        return min(result.retry_after, cap)
    # Exponential backoff with full jitter, so retrying workers do not move in lockstep.
    return random.uniform(0, min(cap, base * 2 ** (tries - 1)))
