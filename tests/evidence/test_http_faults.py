"""The http source under fault injection (httpx.MockTransport): every failure is retried
or reported in one clear line with its exit code, and never recorded as complete."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ircli.config import parse_config
from ircli.core.clock import FixedClock
from ircli.errors import ConfigError, ExternalServiceError, SecretsError
from ircli.evidence.sources import SourceEnv
from ircli.exitcodes import ExitCode
from ircli.secrets import Secret
from ircli.services.evidence import evidence_rows, list_evidence, pull_evidence
from ircli.services.incidents import open_incident
from ircli.services.workspace import Workspace

URL = "https://logs.example/v1/requests"
TOKEN = "tok-ABC123"


def record(i: int) -> dict[str, Any]:
    return {
        "request_id": f"r{i}",
        "ts": f"2026-03-01T09:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "account_id": f"a{i % 3}",
        "model": "m",
        "input_tokens": i,
        "output_tokens": 2 * i,
    }


def page_body(start: int, size: int, total: int) -> dict[str, Any]:
    end = min(start + size, total)
    return {
        "data": [record(i) for i in range(start, end)],
        "next_cursor": str(end) if end < total else None,
    }


class Api:
    """A scripted log API: ``faults`` maps a request number to a response maker."""

    def __init__(self, total: int = 25, size: int = 10) -> None:
        self.total, self.size = total, size
        self.calls: list[httpx.Request] = []
        self.faults: dict[int, Callable[[httpx.Request], httpx.Response]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        n = len(self.calls)
        if n in self.faults:
            return self.faults[n](request)
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        start = int(request.url.params.get("cursor", "0"))
        return httpx.Response(200, json=page_body(start, self.size, self.total))


class Env(SourceEnv):
    pass


def make(
    tmp_path: Path, clock: FixedClock, api: Api, **over: Any
) -> tuple[Workspace, str, SourceEnv, list[float]]:
    source = {
        "type": "http",
        "url": URL,
        "params": {"limit": "10", "accounts": "{accounts}"},
        "auth": {"secret": "logs"},
        "records": "data",
        "pagination": {"kind": "cursor", "cursor_field": "next_cursor", "cursor_param": "cursor"},
        "checkpoint_records": 10,
        "retry": {"attempts": 4, "backoff": 0.5, "deadline": 60},
    } | over
    ws = Workspace(
        tmp_path / "store.db", parse_config({"sources": {"logs": source}}), "alice", clock
    )
    inc = open_incident(ws, title="t").id
    sleeps: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    env = SourceEnv(
        transport=httpx.MockTransport(api),
        secret=lambda name: Secret(name, TOKEN),
        sleep=sleep,
        monotonic=lambda: now[0],
        random=lambda: 1.0,
    )
    return ws, inc, env, sleeps


def pulled_ids(ws: Workspace, inc: str, env: SourceEnv) -> list[str]:
    item = pull_evidence(ws, inc, "logs", env=env)
    return sorted(evidence_rows(ws, item).column("request_id").to_pylist())


ALL = sorted(f"r{i}" for i in range(25))


def test_clean_pull_pages_through_the_cursor(tmp_path: Path, clock: FixedClock) -> None:
    api = Api()
    ws, inc, env, sleeps = make(tmp_path, clock, api)
    assert pulled_ids(ws, inc, env) == ALL
    assert len(api.calls) == 3 and sleeps == []
    assert [c.url.params.get("cursor") for c in api.calls] == [None, "10", "20"]


def test_429_waits_for_retry_after(tmp_path: Path, clock: FixedClock) -> None:
    api = Api()
    api.faults[2] = lambda r: httpx.Response(429, headers={"Retry-After": "7"})
    ws, inc, env, sleeps = make(tmp_path, clock, api)
    assert pulled_ids(ws, inc, env) == ALL
    assert sleeps == [7.0]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_retried_with_growing_backoff(
    tmp_path: Path, clock: FixedClock, status: int
) -> None:
    api = Api()
    api.faults[2] = api.faults[3] = lambda r: httpx.Response(status)
    ws, inc, env, sleeps = make(tmp_path, clock, api)
    assert pulled_ids(ws, inc, env) == ALL
    assert sleeps == [0.5, 1.0]


def test_timeouts_and_connection_errors_are_retried(tmp_path: Path, clock: FixedClock) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    api = Api()
    api.faults[1], api.faults[3] = timeout, refused
    ws, inc, env, sleeps = make(tmp_path, clock, api)
    assert pulled_ids(ws, inc, env) == ALL
    assert len(sleeps) == 2


def test_truncated_json_is_retried_then_kept(tmp_path: Path, clock: FixedClock) -> None:
    api = Api()
    api.faults[2] = lambda r: httpx.Response(
        200,
        content=json.dumps(page_body(10, 10, 25)).encode()[:-40],
        headers={"Content-Type": "application/json"},
    )
    ws, inc, env, sleeps = make(tmp_path, clock, api)
    assert pulled_ids(ws, inc, env) == ALL
    assert len(sleeps) == 1


def failing_pull(
    tmp_path: Path, clock: FixedClock, api: Api, message: str, **over: Any
) -> tuple[Workspace, str, SourceEnv, ExternalServiceError]:
    ws, inc, env, _ = make(tmp_path, clock, api, **over)
    with pytest.raises(ExternalServiceError) as caught:
        pull_evidence(ws, inc, "logs", env=env)
    assert message in caught.value.message, caught.value.message
    assert caught.value.exit_code == ExitCode.EXTERNAL_SERVICE
    assert caught.value.hint
    events = [e.type for e in ws.store.events(inc)]
    assert "evidence.added" not in events and events[-1] == "evidence.pull_failed"
    assert TOKEN not in caught.value.message + (caught.value.hint or "")
    return ws, inc, env, caught.value


def test_persistent_503_gives_up_and_a_rerun_resumes(tmp_path: Path, clock: FixedClock) -> None:
    api = Api()
    for n in range(2, 6):
        api.faults[n] = lambda r: httpx.Response(503)
    ws, inc, env, _ = failing_pull(tmp_path, clock, api, "HTTP 503 after 4 attempt(s)")
    [pending] = list_evidence(ws, inc)
    assert pending.status == "failed (resumable)" and pending.records == 10
    # The service recovers: the re-run resumes after the first page, nothing doubled.
    assert pulled_ids(ws, inc, env) == ALL
    assert [c.url.params.get("cursor") for c in api.calls[5:]] == ["10", "20"]


def test_deadline_stops_retrying(tmp_path: Path, clock: FixedClock) -> None:
    api = Api()
    for n in range(1, 10):
        api.faults[n] = lambda r: httpx.Response(429, headers={"Retry-After": "50"})
    failing_pull(tmp_path, clock, api, "deadline 60s", retry={"attempts": 9, "deadline": 60})


def test_repeating_cursor_is_refused(tmp_path: Path, clock: FixedClock) -> None:
    api = Api()
    api.faults[2] = lambda r: httpx.Response(
        200, json=page_body(10, 10, 25) | {"next_cursor": "10"}
    )
    failing_pull(tmp_path, clock, api, "the same next page twice")


def test_redirect_loop_is_refused(tmp_path: Path, clock: FixedClock) -> None:
    api = Api()
    for n in range(1, 20):
        api.faults[n] = lambda r: httpx.Response(302, headers={"Location": URL + "?loop=1"})
    failing_pull(tmp_path, clock, api, "redirect loop")


def test_401_names_the_secret_to_check(tmp_path: Path, clock: FixedClock) -> None:
    api = Api()
    api.faults[1] = lambda r: httpx.Response(401, json={"error": "bad token"})
    *_, error = failing_pull(tmp_path, clock, api, "refused the credentials (HTTP 401)")
    assert "ircli auth check logs" in (error.hint or "")
    assert len(api.calls) == 1  # not retried


def test_html_instead_of_json_is_refused(tmp_path: Path, clock: FixedClock) -> None:
    api = Api()
    api.faults[1] = lambda r: httpx.Response(
        200, content=b"<html>login</html>", headers={"Content-Type": "text/html"}
    )
    failing_pull(tmp_path, clock, api, "answered text/html, not JSON")


def test_missing_record_list_is_refused(tmp_path: Path, clock: FixedClock) -> None:
    failing_pull(tmp_path, clock, Api(), "no list of records at 'items'", records="items")


def test_offset_pagination(tmp_path: Path, clock: FixedClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        return httpx.Response(200, json={"data": page_body(offset, limit, 25)["data"]})

    api = Api()
    api.faults = {n: handler for n in range(1, 10)}
    ws, inc, env, _ = make(tmp_path, clock, api, pagination={"kind": "offset", "limit": 10})
    assert pulled_ids(ws, inc, env) == ALL
    assert len(api.calls) == 3


def test_link_header_pagination(tmp_path: Path, clock: FixedClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("from", "0"))
        body = page_body(start, 10, 25)
        headers = {}
        if body["next_cursor"]:
            headers["Link"] = f'<{URL}?from={body["next_cursor"]}>; rel="next"'
        return httpx.Response(200, json=body, headers=headers)

    api = Api()
    api.faults = {n: handler for n in range(1, 10)}
    ws, inc, env, _ = make(tmp_path, clock, api, pagination={"kind": "link"})
    assert pulled_ids(ws, inc, env) == ALL


def test_templates_and_time_format_in_the_request(tmp_path: Path, clock: FixedClock) -> None:
    api = Api()
    ws, inc, env, _ = make(
        tmp_path,
        clock,
        api,
        url=URL + "?tenant=x",
        params={"accounts": "{accounts}", "from": "{since}", "to": "{until}"},
        time_format="epoch_ms",
    )
    item = pull_evidence(ws, inc, "logs", accounts=["a1"], since="2026-03-01T09:00:00Z", env=env)
    params = api.calls[0].url.params
    assert params["accounts"] == "a1" and params["from"] == "1772355600000"
    assert "to" not in params  # an empty template is left out
    assert set(evidence_rows(ws, item).column("account_id").to_pylist()) == {"a1"}
    assert item.out_of_scope > 0  # the API ignored the filter; the pull did not
    assert TOKEN not in json.dumps(item.to_dict())


def test_missing_secret_and_bad_templates(tmp_path: Path, clock: FixedClock) -> None:
    ws, inc, env, _ = make(tmp_path, clock, Api())
    with pytest.raises(SecretsError, match="no secret named 'logs'"):
        pull_evidence(ws, inc, "logs", env=SourceEnv(transport=env.transport))
    ws2, inc2, env2, _ = make(tmp_path / "b", clock, Api(), params={"q": "{acounts}"})
    with pytest.raises(ConfigError, match="unknown template key"):
        pull_evidence(ws2, inc2, "logs", env=env2)
    ws3, inc3, env3, _ = make(tmp_path / "c", clock, Api(), pagination={"kind": "pages"})
    with pytest.raises(ConfigError, match=r"\[sources.logs\]: pagination.kind"):
        pull_evidence(ws3, inc3, "logs", env=env3)


def test_cancel_does_not_wait_for_a_slow_api(tmp_path: Path, clock: FixedClock) -> None:
    import time

    from ircli.evidence.pull import PullCancelled

    api = Api(total=60)

    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(4)
        return httpx.Response(503)

    api.faults[3] = slow
    ws, inc, env, _ = make(tmp_path, clock, api)
    pages: list[int] = []
    start = time.monotonic()
    with pytest.raises(PullCancelled):
        pull_evidence(
            ws, inc, "logs", env=env, progress=lambda r, p: pages.append(p), cancel=lambda: True
        )
    assert time.monotonic() - start < 3
    [pending] = list_evidence(ws, inc)
    assert pending.records == 10  # the page that was processed is kept for the re-run
