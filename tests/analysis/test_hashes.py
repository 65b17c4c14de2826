"""Zero-retention logs (hashes, token counts, timing, identity): each case beside its look-alike.

* linked accounts sending one-shot prompts no other account ever sent, far beyond their
  peers, are harvesting (a grading farm: long inputs, short answers); linked accounts asking
  what everyone asks, in conversations, are not;
* where every account's prompts are novel one-shots (an API whose callers all send their
  own data), the same traffic is ordinary: the measure is taken against peers;
* heavy writers and thinkers, read off their token counts alone, are not put on watch;
* where the prompt text is there, the hash stand-in is not measured at all.
"""

from __future__ import annotations

from typing import Any

from archetypes import _spread
from world import MiniWorld

from ircli.analysis.verdicts import judge

COMMON = [f"common question {k} about opening hours and prices" for k in range(40)]


def _farm(w: MiniWorld, counter: Any) -> None:
    """A rubric-grading farm over several organisations paying with one card."""
    for i in range(5):
        a = w.account(f"farm-{i}", "rubric_grading", "camp-farm", payment_fingerprint="PAY-FARM")
        for ts in _spread(w, 60):
            # a fresh response to grade each time: long input, short structured verdict
            text = f"Grade response {next(counter)} against the rubric, reply with JSON."
            w.request(a, ts, text, input_tokens=3000, output_tokens=60)


def _family(w: MiniWorld) -> None:
    """Linked accounts (one card) of people asking what everyone asks, in conversations."""
    for i in range(5):
        a = w.account(f"family-{i}", "background", None, payment_fingerprint="PAY-FAMILY")
        for j, ts in enumerate(_spread(w, 40, human=True)):
            w.request(a, ts, COMMON[(i * 7 + j) % len(COMMON)], n_messages=1 + j % 3)


def _background(w: MiniWorld, counter: Any, *, novel: bool) -> None:
    for i in range(40):
        a = w.account(f"bg-{i}", "background", None)
        for j, ts in enumerate(_spread(w, 40, human=True)):
            if novel:  # every caller its own data, one request at a time
                w.request(a, ts, f"Summarise record {next(counter)} for the ledger.")
            else:
                w.request(a, ts, COMMON[(i + j) % len(COMMON)], n_messages=1 + j % 4)


def _writer(w: MiniWorld) -> None:
    """A heavy writer and thinker asking ordinary questions: long outputs, lots of thinking."""
    a = w.account("writer-0", "background", None)
    for j, ts in enumerate(_spread(w, 40, human=True)):
        w.request(
            a,
            ts,
            COMMON[j % len(COMMON)],
            n_messages=1 + j % 4,
            input_tokens=50,
            output_tokens=4000,
            thinking_tokens=3000,
        )


def _analyse(w: MiniWorld, *, drop_text: bool) -> dict[str, dict[str, Any]]:
    return w.analysed(drop_text=drop_text)


def _world(*, novel: bool) -> MiniWorld:
    w = MiniWorld(seed=83)
    counter = iter(range(10**7))
    _farm(w, counter)
    _family(w)
    _writer(w)
    _background(w, counter, novel=novel)
    return w


def _verdicts(accounts: dict[str, dict[str, Any]], prefix: str) -> set[str]:
    return {a["verdict"] for k, a in accounts.items() if k.startswith(prefix)}


def test_fresh_one_shot_prompts_from_linked_accounts_alert_without_text() -> None:
    accounts = _analyse(_world(novel=False), drop_text=True)
    assert _verdicts(accounts, "farm-") == {"alert"}
    assert all(
        a["indicators"]["fresh_one_shot"]["strength"] == 1.0
        for k, a in accounts.items()
        if k.startswith("farm-")
    )
    # Linked just the same, but asking what everyone asks: nothing to harvest.
    assert _verdicts(accounts, "family-") == {"clear"}
    # Token economics alone do not make a heavy writer a suspect.
    assert accounts["writer-0"]["verdict"] == "clear"
    assert _verdicts(accounts, "bg-") == {"clear"}


def test_novel_one_shot_prompts_are_ordinary_where_every_peer_sends_them() -> None:
    accounts = _analyse(_world(novel=True), drop_text=True)
    assert _verdicts(accounts, "farm-") != {"alert"}
    farm = [a for k, a in accounts.items() if k.startswith("farm-")]
    assert all(a["indicators"].get("fresh_one_shot", {}).get("strength", 0.0) == 0.0 for a in farm)


def test_the_hash_stand_in_is_not_measured_where_text_is_present() -> None:
    accounts = _analyse(_world(novel=False), drop_text=False)
    assert all("fresh_one_shot" not in a["indicators"] for a in accounts.values())


def test_economics_alone_without_text_stays_clear_and_backed_hashes_alert() -> None:
    heavy = {"output_input_ratio": 1.0, "thinking_share": 1.0}
    assert judge(heavy, has_text=False, linked=False).verdict == "clear"
    farm = {"fresh_one_shot": 1.0, "payment_shared_orgs": 1.0}
    assert judge(farm, has_text=False).verdict == "alert"
    # the same content without anything shared is only worth watching
    assert judge({"fresh_one_shot": 1.0}, has_text=False).verdict == "watch"


def _mixed(w: MiniWorld, prefix: str, pay: str, fresh: float, counter: Any) -> None:
    """Linked accounts, each sending a fixed share of fresh one-shots amid common chat."""
    for i in range(3):
        a = w.account(f"{prefix}-{i}", prefix, None, payment_fingerprint=pay)
        for j, ts in enumerate(_spread(w, 1000)):
            if w.rng.random() < fresh:
                w.request(a, ts, f"Explain item {next(counter)} step by step.")
            else:
                w.request(a, ts, COMMON[j % len(COMMON)], n_messages=1 + j % 4)


def test_a_relay_is_known_by_the_volume_of_its_fresh_one_shots_not_its_size() -> None:
    w = MiniWorld(seed=84)
    counter = iter(range(10**7))
    # A relay: a harvesting tenant's fresh prompts diluted by other tenants' chat.
    _mixed(w, "relay", "PAY-RELAY", 0.5, counter)
    # Just as busy and as linked, with the share of fresh prompts its peers have.
    _mixed(w, "busy", "PAY-BUSY", 0.1, counter)
    for i in range(40):
        a = w.account(f"bg-{i}", "background", None)
        for j, ts in enumerate(_spread(w, 40, human=True)):
            if w.rng.random() < 0.1:
                w.request(a, ts, f"Explain item {next(counter)} step by step.")
            else:
                w.request(a, ts, COMMON[(i + j) % len(COMMON)], n_messages=1 + j % 4)
    accounts = _analyse(w, drop_text=True)
    relay = [a for k, a in accounts.items() if k.startswith("relay-")]
    # Diluted below what the share alone would call harvesting ...
    assert all(a["indicators"]["fresh_one_shot"]["strength"] < 0.5 for a in relay)
    # ... but the volume of it carries the content family.
    assert _verdicts(accounts, "relay-") == {"alert"}
    assert "alert" not in _verdicts(accounts, "busy-")
    assert all(
        a["indicators"].get("fresh_volume", {}).get("strength", 0.0) == 0.0
        for k, a in accounts.items()
        if k.startswith("busy-")
    )


def test_fresh_volume_is_the_operators_summed_over_its_linked_accounts() -> None:
    w = MiniWorld(seed=85)
    counter = iter(range(10**7))

    def send(a: str) -> None:
        for j, ts in enumerate(_spread(w, 300)):
            if j % 2:
                w.request(a, ts, f"Explain item {next(counter)} step by step.")
            else:
                w.request(a, ts, COMMON[j % len(COMMON)], n_messages=1 + j % 4)

    # One relay spread thin over four keys paid with one card ...
    for i in range(4):
        send(w.account(f"split-{i}", "relay", "camp-split", payment_fingerprint="PAY-SPLIT"))
    # ... beside four unrelated accounts sending just the same traffic each.
    for i in range(4):
        send(w.account(f"solo-{i}", "background", None))
    _background(w, counter, novel=False)
    accounts = _analyse(w, drop_text=True)

    def strength(prefix: str) -> set[float]:
        return {
            a["indicators"].get("fresh_volume", {}).get("strength", 0.0)
            for k, a in accounts.items()
            if k.startswith(prefix)
        }

    assert strength("split-") == {1.0}
    assert max(strength("solo-")) < 0.5
    assert _verdicts(accounts, "split-") == {"alert"}
    assert "alert" not in _verdicts(accounts, "solo-")
