"""Evidence weighed against peers rather than constants: each case beside its look-alike.

* one data set split over more accounts than the popularity discount spares, each account
  walking its own payloads through the same harvesting template at a like daily quota, is
  one cluster; independent users of a popular template, each with their own questions and
  volumes as varied as people's, are not linked by it;
* nor is a template that harvesting-shaped accounts share with others who send it mostly
  without harvesting (a tool, whatever some of its users do with it);
* one operator's accounts under one system prompt at like daily quotas are one cluster even
  where no payment or sign-up data links them; users of a popular agent's system prompt,
  with volumes as varied as people's, are not linked by it;
* a population that often asks for steps or reasons, its prompts drawn from a common bank
  with their own fill-ins, is measured against itself: none of it is alerted, while a
  harvesting crew among it (most of its traffic asking for reasoning) still is;
* data-centre servers shared by several organisations back a relay's content; one
  business's own servers over its own accounts do not;
* a replaying pivot counts as early when it is early among the accounts that moved at all,
  not only within a fixed day; the same delay among quick adopters does not.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from archetypes import _spread, payload
from world import T0, MiniWorld

GROUP = 30  # more than the accounts a token may be shared by before it is discounted
DAYS = 5

SHARD = "Work through the following step by step and explain your reasoning: {p}"
TUTOR = "You are my tutor. Think step by step and show your reasoning for: {p}"
WIDGET = "Widget helper v2 - show your reasoning step by step about this: {p}"


def _send(w: MiniWorld, account: str, n: int, template: str, counter: Any) -> None:
    for ts in _spread(w, n, days=DAYS):
        text = template.format(p=payload(w, next(counter)))
        w.request(account, ts, text, input_tokens=60, output_tokens=1500)


def _background(w: MiniWorld, n: int = 40) -> None:
    """Ordinary accounts of every size, so that peers' volumes span what people's do."""
    for i in range(n):
        a = w.account(f"bg-{i}", "background", None)
        volume = max(10, round(math.exp(w.rng.gauss(math.log(30), 1.0))))
        for ts in _spread(w, volume, days=DAYS, human=True):
            w.request(a, ts, f"Write a short note to {w.rng.randint(0, 10**6)} about lunch.")


def _world() -> MiniWorld:
    w = MiniWorld(seed=31)
    counter = iter(range(10**7))
    # The operator's shards: like quotas, each its own payloads, nothing else in common.
    for i in range(GROUP):
        a = w.account(f"shard-{i}", "sharded", "camp-shard")
        _send(w, a, 40 + w.rng.randint(-4, 4), SHARD, counter)
    # A popular tutoring template: each student's own questions, at their own pace.
    for i in range(GROUP):
        a = w.account(f"student-{i}", "student", None)
        volume = max(10, round(math.exp(w.rng.gauss(math.log(40), 1.2))))
        _send(w, a, volume, TUTOR, counter)
    # A tool: some accounts harvest-shaped at like volumes, but as many others send most of
    # their traffic through it asking what everyone asks, in conversations.
    for i in range(GROUP):
        a = w.account(f"widget-{i}", "widget", None)
        _send(w, a, 40 + w.rng.randint(-4, 4), WIDGET, counter)
    for i in range(GROUP):
        a = w.account(f"widget-user-{i}", "widget_user", None)
        for j, ts in enumerate(_spread(w, 40, days=DAYS, human=True)):
            text = WIDGET.format(p=f"common question number {j % 5} about the shop opening hours")
            w.request(a, ts, text, n_messages=3, input_tokens=400, output_tokens=200)
    _background(w)
    return w


def _analysed(world: MiniWorld) -> dict[str, dict[str, Any]]:
    """The world's accounts as the analysis sees them, by id."""
    return world.analysed()


@pytest.fixture(scope="module")
def accounts() -> dict[str, dict[str, Any]]:
    return _analysed(_world())


def _clusters(accounts: dict[str, dict[str, Any]], prefix: str) -> list[str | None]:
    return [a["cluster_id"] for k, a in sorted(accounts.items()) if k.rsplit("-", 1)[0] == prefix]


def test_shards_of_one_data_set_are_one_cluster(accounts: dict[str, dict[str, Any]]) -> None:
    ids = _clusters(accounts, "shard")
    assert len(ids) == GROUP
    assert ids[0] is not None and set(ids) == {ids[0]}


def test_students_of_a_popular_template_are_not_linked_by_it(
    accounts: dict[str, dict[str, Any]],
) -> None:
    ids = [c for c in _clusters(accounts, "student") if c is not None]
    # a pair may meet by chance on other evidence, never the whole class
    assert len(ids) <= 4


def test_a_tool_others_use_plainly_links_no_one(accounts: dict[str, dict[str, Any]]) -> None:
    shaped = [c for c in _clusters(accounts, "widget") if c is not None]
    assert len(shaped) <= 4
    users = [c for c in _clusters(accounts, "widget-user") if c is not None]
    assert len(users) <= 4


def _crew_world() -> MiniWorld:
    w = MiniWorld(seed=41)
    # An operator's crew: one system prompt, like quotas; each account its own sign-up,
    # card and addresses, so nothing but the prompt and the quotas is shared.
    for i in range(GROUP):
        a = w.account(f"crew-{i}", "crew", "camp-crew")
        for ts in _spread(w, 60 + w.rng.randint(-5, 5)):
            w.request(a, ts, f"Note {w.rng.randint(0, 10**9)}", system_prompt_hash="sp-crew")
    # A popular agent's default system prompt, used by people at their own pace.
    for i in range(GROUP):
        a = w.account(f"agent-user-{i}", "agent_user", None)
        volume = max(10, round(math.exp(w.rng.gauss(math.log(60), 1.2))))
        for ts in _spread(w, volume, human=True):
            w.request(a, ts, f"Fix bug {w.rng.randint(0, 10**9)}", system_prompt_hash="sp-agent")
    _background(w)
    return w


def test_a_crew_under_one_system_prompt_is_one_cluster_without_payment_data() -> None:
    accounts = _analysed(_crew_world())
    crew = _clusters(accounts, "crew")
    assert crew[0] is not None and set(crew) == {crew[0]}
    users = [c for c in _clusters(accounts, "agent-user") if c is not None]
    assert len(users) <= 4


BANK = [
    "Explain step by step how {x} works, with an example.",
    "Can you walk me through the reasoning behind {x}?",
    "Write a short poem about {x}.",
    "Summarise the key points of {x} in three bullets.",
    "What are the pros and cons of {x}?",
    "Translate this sentence into French: I like {x}.",
]
THINGS = ["photosynthesis", "compound interest", "tides", "inflation", "recursion", "vaccines"]


def _reasoning_population(crew: int) -> dict[str, dict[str, Any]]:
    w = MiniWorld(seed=47)
    counter = iter(range(10**7))
    # People whose prompts come from one bank of everyday requests, a third of them asking
    # for steps or reasons, each with their own fill-ins, at a like pace.
    for i in range(60):
        a = w.account(f"person-{i}", "background", None)
        for ts in _spread(w, max(5, round(25 * math.exp(w.rng.gauss(0, 0.2)))), human=True):
            x = f"{w.rng.choice(THINGS)} (case {w.rng.randint(0, 10**6)})"
            w.request(a, ts, w.rng.choice(BANK).format(x=x), n_messages=w.rng.choice([1, 1, 2, 3]))
    # A crew among them: fresh trial accounts behind proxies, created together, harvesting.
    created = T0 - timedelta(days=1)
    for i in range(crew):
        a = w.account(
            f"crew-{i}", "cot_hydra", "camp", signup_path="trial", signup_ip="100.70.0.9",
            created_at=created + timedelta(minutes=i),
        )  # fmt: skip
        for ts in _spread(w, 60):
            w.request(
                a, ts, SHARD.format(p=payload(w, next(counter))), asn_type="resproxy",
                input_tokens=60, output_tokens=1500,
            )  # fmt: skip
    return _analysed(w)


def test_a_population_that_often_asks_for_reasons_is_measured_against_itself() -> None:
    people = _reasoning_population(crew=0)
    assert not [k for k, a in people.items() if a["verdict"] == "alert"]


def test_a_harvesting_crew_among_it_is_still_alerted() -> None:
    accounts = _reasoning_population(crew=12)
    assert all(a["verdict"] == "alert" for k, a in accounts.items() if k.startswith("crew-"))
    assert not [
        k for k, a in accounts.items() if k.startswith("person-") and a["verdict"] == "alert"
    ]


def _fleet_world() -> MiniWorld:
    w = MiniWorld(seed=37)
    counter = iter(range(10**7))
    # A relay: three organisations' accounts all sending from one operator's three servers.
    # Each carries its tenants' traffic, some of it harvesting; nothing else links them.
    for i in range(3):
        a = w.account(f"relay-{i}", "relay", "camp-relay")
        for j, ts in enumerate(_spread(w, 90)):
            text = (
                TUTOR.format(p=payload(w, next(counter)))
                if j % 2
                else f"Write a limerick about a cat called number {next(counter)}."
            )
            w.request(a, ts, text, src_ip=f"10.200.0.{1 + j % 3}", asn_type="hosting")
    # A business: its own pipeline over three accounts of its organisation, on its servers.
    for i in range(3):
        a = w.account(f"biz-{i}", "enterprise", None, org_id="org-biz")
        for j, ts in enumerate(_spread(w, 90)):
            text = TUTOR.format(p=payload(w, next(counter)))
            w.request(a, ts, text, src_ip=f"10.201.0.{1 + j % 3}", asn_type="hosting")
    for i in range(20):
        a = w.account(f"bg-{i}", "background", None)
        for ts in _spread(w, 30, human=True):
            w.request(a, ts, f"Write a short note to {w.rng.randint(0, 10**6)} about lunch.")
    return w


@pytest.fixture(scope="module")
def fleet() -> dict[str, dict[str, Any]]:
    return _analysed(_fleet_world())


def _fleet_strength(account: dict[str, Any]) -> float:
    return float(account["indicators"].get("fleet_shared_orgs", {}).get("strength", 0.0))


def test_servers_shared_across_organisations_back_the_relay(
    fleet: dict[str, dict[str, Any]],
) -> None:
    for i in range(3):
        relay = fleet[f"relay-{i}"]
        assert relay["indicators"]["fleet_shared_orgs"]["value"] == 2
        assert _fleet_strength(relay) == 1.0
        assert relay["families"]["identity"] == 1.0
        assert relay["verdict"] == "alert"


def test_one_organisations_own_servers_are_no_shared_fleet(
    fleet: dict[str, dict[str, Any]],
) -> None:
    assert fleet["biz-0"]["cluster_id"] is not None  # linked by its servers, as it should be
    for i in range(3):
        assert _fleet_strength(fleet[f"biz-{i}"]) == 0.0
        assert fleet[f"biz-{i}"]["families"]["identity"] == 0.0


def _release_world(peer_delays_h: tuple[int, int]) -> dict[str, dict[str, Any]]:
    """A replaying account moving 30 h after a launch, among peers moving within a range.

    Its verdicts and indicators per account.
    """

    w = MiniWorld(seed=41)
    release = T0 + timedelta(days=2)
    w.releases.append({"model": "model-b", "released_at": release})
    a = w.account("replayer", "agentic", "camp-agent")
    tasks = [f"Refactor module {k} and write its unit tests." for k in range(20)]
    for j, task in enumerate(tasks):
        w.request(a, T0 + timedelta(hours=j), task)
        w.request(a, release + timedelta(hours=30, minutes=j), task, model="model-b")
    lo, hi = peer_delays_h
    for i in range(20):
        p = w.account(f"peer-{i}", "background", None)
        moved = release + timedelta(hours=lo + (hi - lo) * i / 19)
        for j in range(10):
            w.request(p, T0 + timedelta(hours=3 * j), f"Lunch note {w.rng.randint(0, 10**9)}.")
            text = f"Dinner note {w.rng.randint(0, 10**9)}."
            w.request(p, moved + timedelta(hours=j), text, model="model-b")
    return w.analysed()


def test_a_pivot_early_among_slow_adopters_counts() -> None:
    replayer = _release_world((60, 200))["replayer"]
    assert replayer["indicators"]["release_pivot"]["strength"] == 1.0
    assert replayer["families"]["lifecycle"] > 0.5


def test_the_same_pivot_among_quick_adopters_does_not() -> None:
    replayer = _release_world((2, 20))["replayer"]
    assert replayer["indicators"].get("release_pivot", {"strength": 0.0})["strength"] == 0.0
    assert replayer["families"]["lifecycle"] == 0.0


def test_a_heavy_thinker_linked_to_a_campaign_does_not_borrow_its_content() -> None:
    from ircli.analysis.verdicts import judge

    # Its text is read and shows nothing; it takes twice its peers' thinking, that's all.
    own = {"thinking_share": 0.5, "proxy_share": 1.0, "relay_heterogeneity": 1.0}
    j = judge(own, has_text=True, linked=True, cluster_content=1.0)
    assert j.content < 0.5 and j.verdict != "alert"


def test_a_diluted_harvester_linked_to_its_campaign_carries_its_content() -> None:
    from ircli.analysis.verdicts import judge

    # Its own text shows some harvesting, diluted by filler; its campaign's shows more.
    own = {"cot_share": 0.3, "thinking_share": 0.5, "proxy_share": 1.0}
    j = judge(own, has_text=True, linked=True, cluster_content=1.0)
    assert j.content == 1.0 and j.verdict == "alert"


def test_where_no_text_is_logged_economics_still_open_the_cluster_content() -> None:
    from ircli.analysis.verdicts import judge

    own = {"thinking_share": 0.5, "proxy_share": 1.0}
    j = judge(own, has_text=False, linked=True, cluster_content=1.0)
    assert j.content == 1.0


def _variety_world() -> dict[str, dict[str, Any]]:
    w = MiniWorld(seed=59)
    countries = ["US", "FR", "JP", "BR", "KE", "DE", "IN", "MX"]
    # A relay: its tenants' clients, prompts and countries, from its servers, no end-user ids.
    a = w.account("relay-0", "relay", "camp-relay")
    for j, ts in enumerate(_spread(w, 200)):
        w.request(
            a, ts, f"Tenant request {j}: summarise document {w.rng.randint(0, 10**9)}",
            user_agent=f"client-{j % 9}", system_prompt_hash=f"tenant-sys-{j % 7}",
            country=countries[j % len(countries)], src_ip="10.210.0.1", asn_type="hosting",
        )  # fmt: skip
    # One person behind rotating residential exits: many countries, one client, one prompt.
    a = w.account("private-0", "background", None)
    for j, ts in enumerate(_spread(w, 200, human=True)):
        w.request(
            a, ts, f"Help me plan trip number {w.rng.randint(0, 10**9)}",
            country=countries[j % len(countries)], asn_type="resproxy",
        )  # fmt: skip
    _background(w)
    return _analysed(w)


def test_a_relays_variety_of_clients_is_measured_but_a_proxys_exit_countries_are_not() -> None:
    accounts = _variety_world()
    relay = accounts["relay-0"]["indicators"]["relay_heterogeneity"]["strength"]
    assert relay >= 0.5
    # a clear account lists only the indicators that fired at all
    private = accounts["private-0"]
    assert private["verdict"] == "clear" and private["indicators"]["proxy_share"]["strength"] == 1.0
    assert "relay_heterogeneity" not in private["indicators"]
