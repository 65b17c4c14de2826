"""Pages are parsed several at once, but the pull must see them in the order the source
sent them, each as soon as it and those before it are ready, with a fetch failure after
the pages fetched before it (so that they are kept for the re-run)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator

import pytest

from ircli.errors import ExternalServiceError
from ircli.evidence.pull import _parsed
from ircli.evidence.sources import Page


def pages(count: int, fail_after: int | None = None, seed: int = 3) -> Iterator[Page]:
    rng = random.Random(seed)
    for n in range(count):
        if n == fail_after:
            raise ExternalServiceError("source 'logs': HTTP 503 after 5 attempts")
        pause = rng.random() * 0.01  # parsing takes longer for some pages than for others

        def finish(n: int = n, pause: float = pause) -> Page:
            time.sleep(pause)
            return Page(raw=b"", records=[n], next_state=None)

        yield Page(raw=str(n).encode(), records=[], next_state={"n": n}, finish=finish)


def test_pages_come_out_parsed_and_in_order() -> None:
    got = [(p.raw, p.records, p.next_state) for p in _parsed(pages(60), workers=3, ahead=5)]
    assert got == [(str(n).encode(), [n], {"n": n}) for n in range(60)]


def test_a_fetch_failure_comes_after_the_pages_before_it() -> None:
    seen = []
    with pytest.raises(ExternalServiceError, match="503"):
        for page in _parsed(pages(30, fail_after=17), workers=2, ahead=4):
            seen.append(page.records[0])
    assert seen == list(range(17))


def test_a_parsed_page_is_not_held_back_by_a_slow_fetch() -> None:
    gate = threading.Event()

    def slow_source() -> Iterator[Page]:
        yield Page(raw=b"0", records=[0], next_state={"n": 0})
        gate.wait(5)  # the next page is slow to arrive
        yield Page(raw=b"1", records=[1], next_state=None)

    stream = _parsed(slow_source(), workers=2, ahead=4)
    start = time.monotonic()
    first = next(stream)
    assert first.records == [0] and time.monotonic() - start < 2
    gate.set()
    assert [p.records for p in stream] == [[1]]
