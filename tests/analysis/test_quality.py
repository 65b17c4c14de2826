"""Detection-quality rules pinned on hand-built cases, each with its benign look-alike.

* an account whose prompt text is withheld takes the content its linked accounts show;
* tenants spread over one small set of servers are linked even when no single address
  carries most of their traffic;
* a lone account's own identity facts (VPN, travel, trial, sign-up hour) back an alert only
  when concealed access and a sign-up burst come together;
* machine timing strengthens backing evidence but never carries a trial sign-up over the line.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from archetypes import _spread, payload
from world import T0, MiniWorld

from ircli.analysis.verdicts import judge

SERVERS = [f"10.77.0.{i}" for i in range(1, 6)]


def _relay_world() -> MiniWorld:
    w = MiniWorld(seed=5)
    counter = iter(range(10**7))
    # A relay: four tenant orgs paid by two cards (so payment joins only pairs), all sending
    # from the same five hosting servers, none of which carries most of any one's traffic.
    # Two tenants withhold prompt text (zero retention): only hashes reach the logs.
    for i in range(4):
        a = w.account(f"relay-{i}", "relay", "camp-relay", payment_fingerprint=f"PAY-R{i // 2}")
        for j, ts in enumerate(_spread(w, 120)):
            if j % 2:
                text = f"Solve: {payload(w, next(counter))}. Explain your reasoning step by step."
            else:
                text = f"Write a haiku about item {next(counter)} and the sea."
            kw = {"prompt_hash": f"h-{a}-{j}"} if i >= 2 else {}
            w.request(
                a,
                ts,
                None if i >= 2 else text,
                **kw,
                src_ip=SERVERS[j % len(SERVERS)],
                asn_type="hosting",
                input_tokens=150,
                output_tokens=900,
            )
    # Look-alike: unrelated customers each on their own few servers.
    for i in range(4):
        a = w.account(f"own-{i}", "background", None)
        for j, ts in enumerate(_spread(w, 60)):
            w.request(
                a,
                ts,
                f"Translate order note {next(counter)} into German.",
                src_ip=f"10.{80 + i}.0.{1 + j % 3}",
                asn_type="hosting",
            )
    # Look-alike: customers behind a residential proxy pool (many exits each).
    for i in range(4):
        a = w.account(f"proxied-{i}", "background", None)
        for ts in _spread(w, 60):
            w.request(
                a,
                ts,
                f"Plan a trip itinerary number {next(counter)}",
                src_ip=f"100.64.{w.rng.randint(0, 3)}.{w.rng.randint(1, 254)}",
                asn_type="resproxy",
            )
    # A lone student behind a VPN abroad, often asking for step-by-step solutions among
    # other things: no one linked.
    a = w.account("student-vpn", "background", None, billing_country="US")
    for j, ts in enumerate(_spread(w, 40)):
        w.request(
            a,
            ts,
            f"Solve {payload(w, next(counter))} step by step and explain your reasoning."
            if j % 5 < 2
            else f"Suggest a name for my study group number {next(counter)}.",
            asn_type="vpn",
            country="NL",
            src_ip=f"100.65.{w.rng.randint(0, 255)}.{w.rng.randint(1, 254)}",
            input_tokens=60,
            output_tokens=1500,
        )
    # A lone trial user doing the same around the clock, from home.
    a = w.account(
        "trial-night-owl",
        "background",
        None,
        signup_path="trial",
        created_at=T0 - timedelta(days=3),
    )
    for ts in _spread(w, 240):
        w.request(
            a,
            ts,
            f"Walk me through the reasoning for {payload(w, next(counter))}, step by step.",
            input_tokens=60,
            output_tokens=1500,
        )
    for i in range(20):  # ordinary background for peer baselines
        a = w.account(f"user-{i}", "background", None)
        for ts in _spread(w, w.rng.randint(5, 40), human=True):
            w.request(
                a,
                ts,
                f"Help me write an email to my landlord about issue {next(counter)}",
                n_messages=w.rng.randint(1, 6),
                output_tokens=w.rng.randint(100, 600),
                input_tokens=w.rng.randint(50, 800),
            )
    return w


@pytest.fixture(scope="module")
def relay() -> dict[str, dict[str, Any]]:
    return _relay_world().analysed()


def test_tenants_on_one_server_fleet_form_one_cluster(relay: dict[str, dict[str, Any]]) -> None:
    ids = {relay[f"relay-{i}"]["cluster_id"] for i in range(4)}
    assert len(ids) == 1 and None not in ids


def test_own_servers_and_proxy_pools_do_not_link(relay: dict[str, dict[str, Any]]) -> None:
    for prefix in ("own-", "proxied-"):
        ids = [a["cluster_id"] for k, a in relay.items() if k.startswith(prefix)]
        assert ids == [None] * 4, (prefix, ids)


def test_withheld_text_takes_the_clusters_content(relay: dict[str, dict[str, Any]]) -> None:
    # relay-2 and relay-3 send hashes only; their readable siblings show harvesting.
    assert [relay[f"relay-{i}"]["verdict"] for i in range(4)] == ["alert"] * 4
    assert relay["relay-3"]["indicators"].get("cot_share") is None


def test_lone_vpn_student_is_not_alerted(relay: dict[str, dict[str, Any]]) -> None:
    student = relay["student-vpn"]
    assert student["indicators"]["proxy_share"]["strength"] == 1.0
    assert 0.5 <= student["indicators"]["cot_share"]["strength"] < 0.9
    assert student["verdict"] == "watch"
    assert "linked to no other" in student["reasons"][0]


def test_lone_trial_user_around_the_clock_is_not_alerted(
    relay: dict[str, dict[str, Any]],
) -> None:
    owl = relay["trial-night-owl"]
    assert owl["indicators"]["trial_signup"]["strength"] > 0
    assert owl["families"]["timing"] == 1.0
    assert owl["verdict"] != "alert"


CONTENT = {"cot_share": 1.0, "output_input_ratio": 1.0}


def test_withheld_text_is_lifted_but_clean_text_is_not() -> None:
    backing = {"payment_shared_orgs": 1.0}
    hidden = judge(backing, has_text=False, cluster_content=0.9, text_withheld=True)
    clean = judge(backing, has_text=True, cluster_content=0.9)
    assert hidden.verdict == "alert" and hidden.content == pytest.approx(0.9)
    assert clean.verdict != "alert" and clean.content == 0.0


def test_lone_account_needs_concealed_access_and_a_sign_up_burst() -> None:
    mixed = {"cot_share": 0.7, "output_input_ratio": 1.0}  # harvesting among other things
    vpn = {**mixed, "proxy_share": 1.0, "geo_inconsistency": 1.0}
    assert judge(vpn, has_text=True, linked=True).verdict == "alert"
    assert judge(vpn, has_text=True, linked=False).verdict == "watch"
    burst = {**vpn, "creation_cohort": 0.8}
    assert judge(burst, has_text=True, linked=False).verdict == "alert"
    # Shared facts need no partner: a card paying for other organisations' accounts.
    shared = {**mixed, "payment_shared_orgs": 1.0}
    assert judge(shared, has_text=True, linked=False).verdict == "alert"
    # Nor does concealed access carrying nothing but harvesting prompts.
    unmixed = {**CONTENT, "proxy_share": 1.0}
    assert judge(unmixed, has_text=True, linked=False).verdict == "alert"
    assert judge({**CONTENT, "trial_signup": 0.3}, has_text=True, linked=False).verdict == "watch"


def test_timing_does_not_carry_a_trial_sign_up() -> None:
    s = {**CONTENT, "trial_signup": 0.3, "round_the_clock": 1.0, "gap_regularity": 1.0}
    assert judge(s, has_text=True).verdict == "watch"
    strong = {**s, "payment_shared_orgs": 0.5}
    j = judge(strong, has_text=True)
    assert j.verdict == "alert" and j.backing > 0.5  # timing raised real backing


def test_a_fleet_taking_harvest_economics_is_content_in_any_wording() -> None:
    # Prompts no phrase pattern knows; long answers to short one-shot prompts, backed by a
    # shared card. Alone that is a heavy writer; as one of a fleet that all do it, harvesting.
    s = {"output_input_ratio": 1.0, "single_turn_share": 1.0, "payment_shared_orgs": 1.0}
    assert judge(s, has_text=True, cluster_economics=0.0).verdict == "watch"
    assert judge(s, has_text=True, cluster_economics=0.9).verdict == "alert"
    assert judge(s, has_text=True, linked=False, cluster_economics=0.9).verdict != "alert"
    # A member without harvesting economics of its own is not lifted by its fleet's.
    quiet = {"payment_shared_orgs": 1.0}
    assert judge(quiet, has_text=True, cluster_economics=0.9).verdict != "alert"


def _late_release_world() -> MiniWorld:
    w = MiniWorld(seed=9)
    counter = iter(range(10**7))
    release = T0 + timedelta(days=3, hours=12)  # half a day before the evidence ends
    w.releases.append({"model": "model-b", "released_at": release})
    # Moves to the new model within hours and sends nearly everything there since.
    a = w.account("mover", "agentic", "camp")
    # A developer who tries the new model a few times and stays on the old one.
    b = w.account("taster", "background", None)
    for acc in (a, b):
        for ts in _spread(w, 200):
            if ts < release + timedelta(hours=2):
                model = "model-a"
            else:
                model = "model-b" if acc == a or w.rng.random() < 0.15 else "model-a"
            w.request(acc, ts, f"Refactor module {next(counter)} and add tests", model=model)
    for i in range(20):
        c = w.account(f"user-{i}", "background", None)
        for ts in _spread(w, 20, human=True):
            w.request(c, ts, f"Email about issue {next(counter)}")
    return w


def test_a_switch_near_the_end_of_the_evidence_is_a_pivot() -> None:
    by = _late_release_world().analysed()
    # Under a third of all its traffic is on the new model, but nearly all since the launch.
    assert by["mover"]["indicators"]["release_pivot"]["strength"] == 1.0
    assert by["taster"]["indicators"].get("release_pivot", {}).get("strength", 0.0) == 0.0


def _curriculum_world() -> MiniWorld:
    w = MiniWorld(seed=13)
    counter = iter(range(10**7))
    # Aged accounts each walking their own shard of one harvesting template, same trickle.
    for i in range(4):
        a = w.account(f"shard-{i}", "slow", "camp-shard")
        for ts in _spread(w, 24, human=True):
            w.request(
                a,
                ts,
                f"Lesson {next(counter)} of the course: work through the topic, explain the"
                " reasoning behind every step and finish with a quiz.",
                output_tokens=1600,
            )
    # Developers of one popular tool: one template, their own payloads, the same trickle.
    for i in range(4):
        a = w.account(f"tool-{i}", "background", None)
        for ts in _spread(w, 24, human=True):
            w.request(
                a,
                ts,
                f"Apply the following patch to the repository and report conflicts: {next(counter)}"
                " --- end of patch, reply with a summary only.",
                output_tokens=200,
            )
    # Enough ordinary accounts that a shared rhythm is rarer than chance would make it.
    for i in range(60):
        c = w.account(f"user-{i}", "background", None)
        for ts in _spread(w, 5 + i % 20, human=True):
            w.request(c, ts, f"Email about issue {next(counter)}", n_messages=3)
    return w


def test_a_shared_harvesting_template_links_its_shards_a_tools_template_does_not() -> None:
    by = _curriculum_world().analysed()
    shards = {by[f"shard-{i}"]["cluster_id"] for i in range(4)}
    assert len(shards) == 1 and None not in shards
    assert [by[f"tool-{i}"]["cluster_id"] for i in range(4)] == [None] * 4
