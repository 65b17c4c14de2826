"""Slow-and-low extraction in hash-only logs: one curriculum split over many quiet accounts.

Nothing links the shards by identity (own organisations, cards, home addresses, aged
accounts) and no text shows their template. What shows is how the split is made: each
account sends one-shot prompts no other account sends, and the operator's tooling and
quotas make them alike in daily volume and token sizes, far beyond their peers. Each case
stands beside the look-alike it must leave alone:

* independent developers' scripts, also sending their own fresh one-shot prompts, but as
  varied in volume and sizes as anyone: not linked, not alerted;
* a class of students, alike in volume and sizes, asking the same questions: not linked;
* one customer's extraction pipeline over several keys, alike and fresh, taking short
  answers: not harvesting economics, not linked;
* tutoring apps at the shards' very pace and sizes, naming their own end users: serving
  people, not linked;
* one company's own keys generating data just as alike: its product, not a campaign;
* where the prompt text is there, the likeness stand-in is not measured at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from world import T0, MiniWorld

DAYS = 10
COMMON = [f"what is the capital of country {k} and its population" for k in range(30)]


def _times(w: MiniWorld, per_day: float) -> list[Any]:
    """Daytime requests over the window, about ``per_day`` a day."""
    n = max(1, round(per_day * DAYS))
    return sorted(
        T0 + timedelta(days=w.rng.randrange(DAYS), seconds=w.rng.randint(8 * 3600, 22 * 3600))
        for _ in range(n)
    )


def _jitter(w: MiniWorld, x: float, spread: float) -> int:
    return max(1, round(x * w.rng.lognormvariate(0, spread)))


def _shards(
    w: MiniWorld,
    counter: Iterator[int],
    n: int = 8,
    *,
    prefix: str = "shard",
    per_day: float = 6,
    sizes: tuple[float, float] = (60, 1800),
) -> None:
    """One operator's quiet accounts, each walking its own part of one curriculum."""
    for i in range(n):
        a = w.account(f"{prefix}-{i}", "sharded_slow", f"camp-{prefix}", tier="tier1")
        scale = w.rng.lognormvariate(0, 0.1)  # the tooling varies a little per account
        for ts in _times(w, per_day * w.rng.lognormvariate(0, 0.1)):
            w.request(
                a,
                ts,
                f"Lesson {next(counter)} of the course: work through it completely.",
                input_tokens=_jitter(w, sizes[0] * scale, 0.3),
                output_tokens=_jitter(w, sizes[1] * scale, 0.3),
            )


def _scripts(w: MiniWorld, counter: Iterator[int], n: int = 8) -> None:
    """Unrelated developers' scripts: fresh one-shot prompts, each its own size and pace."""
    for i in range(n):
        a = w.account(f"script-{i}", "background", None, tier="tier1")
        size_in = 40 * 4 ** (i % 4)
        size_out = 3000 / 2 ** (i % 5)
        for ts in _times(w, 3 * 2 ** (i % 4)):
            w.request(
                a,
                ts,
                f"Handle item {next(counter)} for my own app.",
                input_tokens=_jitter(w, size_in, 0.3),
                output_tokens=_jitter(w, size_out, 0.3),
            )


def _class(w: MiniWorld, n: int = 8) -> None:
    """Students of one course: alike in pace and sizes, asking what the others ask."""
    for i in range(n):
        a = w.account(f"student-{i}", "background", None, tier="tier1")
        for j, ts in enumerate(_times(w, 6)):
            w.request(
                a,
                ts,
                COMMON[(i + j) % len(COMMON)],
                input_tokens=_jitter(w, 60, 0.3),
                output_tokens=_jitter(w, 1800, 0.3),
            )


def _own_keys(
    w: MiniWorld,
    counter: Iterator[int],
    name: str,
    archetype: str,
    text: str,
    sizes: tuple[int, int],
    n: int,
) -> None:
    """One organisation's own keys, each sending fresh one-shots of like sizes."""
    for i in range(n):
        a = w.account(f"{name}-{i}", archetype, None, org_id=f"org-{name}", tier="tier1")
        for ts in _times(w, 6):
            w.request(
                a,
                ts,
                text.format(next(counter)),
                input_tokens=_jitter(w, sizes[0], 0.3),
                output_tokens=_jitter(w, sizes[1], 0.3),
            )


def _pipeline(w: MiniWorld, counter: Iterator[int], n: int = 5) -> None:
    """One customer's extraction pipeline over its own keys: fresh records, short answers."""
    _own_keys(
        w, counter, "etl", "enterprise_etl", "Extract the fields of record {}.", (2000, 120), n
    )


def _in_house(w: MiniWorld, counter: Iterator[int], n: int = 5) -> None:
    """One company's own keys generating data, alike as shards (in a tooling of its own):
    its product, not a campaign."""
    _own_keys(
        w,
        counter,
        "inhouse",
        "background",
        "Draft article {} for our knowledge base.",
        (300, 4000),
        n,
    )


def _apps(w: MiniWorld, counter: Iterator[int], n: int = 6) -> None:
    """Tutoring apps: fresh one-shot questions at the shards' pace and sizes, each request
    naming the app's own end user."""
    for i in range(n):
        a = w.account(f"app-{i}", "background", None, tier="tier1")
        for ts in _times(w, 6):
            w.request(
                a,
                ts,
                f"Explain exercise {next(counter)} to a pupil.",
                input_tokens=_jitter(w, 60, 0.3),
                output_tokens=_jitter(w, 1800, 0.3),
                end_user_id=f"pupil-{w.rng.randrange(200)}",
            )


def _people(w: MiniWorld, n: int = 60) -> None:
    """Ordinary customers: paces and sizes spanning orders of magnitude, conversations."""
    for i in range(n):
        a = w.account(f"bg-{i}", "background", None, tier="tier1")
        size_in = w.rng.lognormvariate(5, 1.2)
        size_out = w.rng.lognormvariate(6, 0.9)
        for j, ts in enumerate(_times(w, w.rng.lognormvariate(1.5, 1.0))):
            w.request(
                a,
                ts,
                COMMON[(i * 3 + j) % len(COMMON)],
                n_messages=1 + j % 3,
                input_tokens=_jitter(w, size_in, 0.3),
                output_tokens=_jitter(w, size_out, 0.3),
            )


def _world() -> MiniWorld:
    w = MiniWorld(seed=131)
    counter = iter(range(10**7))
    _shards(w, counter)
    _scripts(w, counter)
    _class(w)
    _pipeline(w, counter)
    _apps(w, counter)
    _in_house(w, counter)
    _people(w)
    return w


def _analyse(w: MiniWorld, *, drop_text: bool) -> dict[str, Any]:
    from ircli.analysis import analyze

    req, acc, rel = w.tables(drop_text=drop_text)
    return analyze(req, acc, rel).to_dict()


def _of(result: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [a for a in result["accounts"] if a["account_id"].startswith(prefix)]


def _strength(account: dict[str, Any], name: str) -> float:
    return float(account["indicators"].get(name, {}).get("strength", 0.0))


def test_alike_shards_with_fresh_prompts_alert_in_one_cluster_without_text() -> None:
    result = _analyse(_world(), drop_text=True)
    shards = _of(result, "shard-")
    assert {a["verdict"] for a in shards} == {"alert"}
    assert len({a["cluster_id"] for a in shards}) == 1
    assert all(_strength(a, "alike_shards") == 1.0 for a in shards)
    cluster = next(c for c in result["clusters"] if c["cluster_id"] == shards[0]["cluster_id"])
    assert sorted(cluster["accounts"]) == sorted(a["account_id"] for a in shards)
    assert "shards" in {e["kind"] for e in cluster["evidence"]}


def test_look_alikes_of_slow_shards_stay_clear_without_text() -> None:
    result = _analyse(_world(), drop_text=True)
    for prefix in ("script-", "student-", "etl-", "app-", "inhouse-", "bg-"):
        accounts = _of(result, prefix)
        assert accounts
        # Fresh one-shots of every size and pace, questions everyone asks, short answers,
        # an app's own users, one company's own keys: none of them is shards of a campaign.
        assert all(_strength(a, "alike_shards") == 0.0 for a in accounts), prefix
        assert "alert" not in {a["verdict"] for a in accounts}, prefix
    shard_clusters = {
        c["cluster_id"]
        for c in result["clusters"]
        if "shards" in {e["kind"].split("+")[0] for e in c["evidence"]}
    }
    assert len(shard_clusters) == 1


def test_the_likeness_stand_in_is_not_measured_where_text_is_present() -> None:
    result = _analyse(_world(), drop_text=False)
    assert all("alike_shards" not in a["indicators"] for a in result["accounts"])
    assert all(
        "shards" not in e["kind"].split("+") for c in result["clusters"] for e in c["evidence"]
    )


def test_neighbour_pairs_group_into_connected_groups_named_by_their_smallest_member() -> None:
    from ircli.analysis.shards import _groups

    # Two tight groups joined by one bridging pair are one connected group (which the
    # likeness test then judges as a whole, or splits where the bridge is).
    pairs = [(f"a{i}", f"a{j}") for i in range(4) for j in range(i + 1, 4)]
    pairs += [(f"b{i}", f"b{j}") for i in range(4) for j in range(i + 1, 4)]
    pairs.append(("a3", "b0"))
    groups = _groups(pairs)
    assert list(groups) == ["a0"]
    assert groups["a0"] == sorted(f"{x}{i}" for x in "ab" for i in range(4))


def test_two_operators_shards_are_two_clusters() -> None:
    w = MiniWorld(seed=132)
    counter = iter(range(10**7))
    _shards(w, counter)
    # Another operator: its own tooling (other context and answer sizes) and quotas.
    _shards(w, counter, 6, prefix="other", per_day=20, sizes=(300, 4000))
    _people(w)
    result = _analyse(w, drop_text=True)
    ours, theirs = _of(result, "shard-"), _of(result, "other-")
    assert {a["verdict"] for a in ours + theirs} == {"alert"}
    assert len({a["cluster_id"] for a in ours}) == 1
    assert len({a["cluster_id"] for a in theirs}) == 1
    assert ours[0]["cluster_id"] != theirs[0]["cluster_id"]


def test_identity_outranks_likeness_shards_stay_apart_from_a_fleet_that_resembles_them() -> None:
    w = MiniWorld(seed=133)
    counter = iter(range(10**7))
    _shards(w, counter)
    # A fleet paying with one card: part of it takes the shards' very economics, the rest
    # its own. The card ties the look-alikes to their fleet, not to the shards.
    for i in range(8):
        a = w.account(f"fleet-{i}", "hydra_cot", "camp-fleet", payment_fingerprint="PAY-FLEET")
        sizes = (60, 1800) if i < 4 else (500, 400)
        for ts in _times(w, 6 if i < 4 else 30):
            w.request(
                a,
                ts,
                f"Item {next(counter)}: answer with all steps.",
                input_tokens=_jitter(w, sizes[0], 0.3),
                output_tokens=_jitter(w, sizes[1], 0.3),
            )
    _people(w)
    result = _analyse(w, drop_text=True)
    shards, fleet = _of(result, "shard-"), _of(result, "fleet-")
    assert {a["verdict"] for a in shards} == {"alert"}
    assert len({a["cluster_id"] for a in shards}) == 1
    assert len({a["cluster_id"] for a in fleet}) == 1
    assert shards[0]["cluster_id"] != fleet[0]["cluster_id"]
