"""Detection that does not rest on the lexicon: campaigns phrased in words no pattern knows,
each beside the benign look-alike it must not be confused with.

* linked accounts of several organisations wrapping their own payloads in the same rotating
  instructions are content evidence (``shared_wrappers``); one organisation's templated bot
  over its own accounts is not;
* a linked account sending much of its traffic through a campaign's wrappers carries its
  content (``campaign_wrappers``); a lone student using the same prompt is not lifted;
* accounts with the shape of extraction (one-shot, own payloads, long answers) splitting one
  template are linked and found without any phrase; a pipeline taking short answers is not;
* a system prompt counts as shared across organisations only; KYB weighs fully for an
  organisation whose linked accounts are all its own; rate-limit pressure never backs an
  alert; visible thinking and output per input token are weighed against peers.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from archetypes import _spread, payload
from world import T0, MiniWorld

from ircli.analysis import patterns
from ircli.analysis.verdicts import judge

# Instructions of one campaign in wording the lexicon does not know (checked below).
WRAPPERS = (
    "Narrate how you get from the givens to the conclusion for: {p}. Put the result last.",
    "Exercise: {p}\nProduce the missing middle, every deduction numbered, then the result.",
    "{p}\nWork on this visibly, each calculation and each check, only then the conclusion.",
)
HANDBOOK = "Handbook entry #{n}: {p}. Write it the way a top instructor would, proving every claim."
TICKET = "Incoming ticket {n}: the parcel for order {p} is late. Write a short, kind answer."
PLUGIN = "Shop order {n}, customer note {p}: summarise the note in one line for the packer."


def _lexicon_hits(text: str) -> bool:
    rx = (patterns.COT_ELICITATION, patterns.RUBRIC_JUDGE, patterns.LANGUAGE_COERCION)
    return any(re.search(p, text.lower()) for p in rx)


def _world() -> MiniWorld:
    w = MiniWorld(seed=23)
    n = iter(range(10**7))
    cohort = T0 - timedelta(days=2, hours=5)
    # A campaign: six accounts registered as six organisations, two cards, residential
    # proxies, rotating three wrappers around payloads no one else sends.
    for i in range(6):
        a = w.account(
            f"camp-{i}",
            "hydra",
            "camp-1",
            payment_fingerprint=f"PAY-C{i % 2}",
            signup_ip="10.9.9.9",
            created_at=cohort + timedelta(minutes=i),
            signup_path="trial",
            kyb_verified=i == 0,
        )
        for j, ts in enumerate(_spread(w, 120)):
            text = WRAPPERS[j % 3].format(p=payload(w, next(n)))
            w.request(a, ts, text, asn_type="resproxy", input_tokens=70, output_tokens=1600)
    # A relay linked to nobody in the campaign: three tenants' accounts on one server fleet,
    # a third of its traffic through the campaign's wrappers, the rest ordinary.
    for i in range(3):
        a = w.account(f"relay-{i}", "relay", "camp-relay", payment_fingerprint="PAY-RELAY")
        for j, ts in enumerate(_spread(w, 150)):
            text = (
                WRAPPERS[j // 3 % 3].format(p=payload(w, next(n)))
                if j % 3 == 0
                else f"Write a limerick about a cat called number {next(n)}."
            )
            w.request(a, ts, text, src_ip=f"10.200.0.{1 + j % 3}", asn_type="hosting")
    # Look-alike: one organisation's support bot on six accounts, one card, a fixed template
    # with distinct tickets, served from a cloud region abroad; one account verified.
    for i in range(6):
        a = w.account(
            f"bot-{i}", "support_bot", None, org_id="org-shop", payment_fingerprint="PAY-SHOP",
            kyb_verified=i == 0,
        )  # fmt: skip
        for ts in _spread(w, 120):
            w.request(
                a,
                ts,
                TICKET.format(n=next(n), p=next(n)),
                asn_type="hosting",
                country="DE",
                input_tokens=80,
                output_tokens=160,
            )
    # Look-alike: a lone student on a VPN abroad, trial sign-up, who often pastes the same
    # public prompts as the campaign among questions of their own.
    a = w.account("student-vpn", "background", None, signup_path="trial")
    for j, ts in enumerate(_spread(w, 80)):
        text = (
            WRAPPERS[j // 3 % 3].format(p=payload(w, next(n)))
            if j % 3 == 0
            else f"Suggest a name for my study group number {next(n)}."
        )
        w.request(a, ts, text, asn_type="vpn", country="NL", output_tokens=1500)
    # Slow and low: eight unrelated-looking accounts, each walking its own shard of one
    # handbook, one-shot, long answers; nothing shared but the template.
    for i in range(8):
        a = w.account(f"shard-{i}", "sharded_slow", "camp-shard")
        for ts in _spread(w, 40, human=True):
            text = HANDBOOK.format(n=next(n), p=payload(w, next(n)))
            w.request(a, ts, text, input_tokens=60, output_tokens=1800)
    # Look-alike: eight shops using one e-commerce plugin's template, each with its own
    # orders, one-shot, short answers.
    for i in range(8):
        a = w.account(f"plugin-{i}", "background", None)
        for ts in _spread(w, 40, human=True):
            w.request(a, ts, PLUGIN.format(n=next(n), p=next(n)), input_tokens=90, output_tokens=70)
    # A system prompt shared by three organisations' accounts, and one shared inside one org.
    for i in range(3):
        a = w.account(f"sys-{i}", "background", None)
        for ts in _spread(w, 20, human=True):
            w.request(a, ts, f"Plan menu {next(n)} for the week", system_prompt_hash="SYS-MANY")
    for i in range(3):
        a = w.account(f"team-{i}", "background", None, org_id="org-team")
        for ts in _spread(w, 20, human=True):
            w.request(a, ts, f"Plan sprint {next(n)} for the team", system_prompt_hash="SYS-TEAM")
    # Thinking: one account spends most of its output on visible thinking, another a little
    # more than its peers do.
    for name, think in (("deep-thinker", 900), ("some-thinker", 160)):
        a = w.account(name, "background", None, tier="tier1")
        for ts in _spread(w, 30, human=True):
            w.request(a, ts, f"Question {next(n)} about my garden", thinking_tokens=think)
    # Output per input token: one account takes three times what its peers take, another a
    # little more than they do.
    for name, out in (("long-answers", 180), ("bit-longer", 84)):
        a = w.account(name, "background", None, tier="tier1")
        for ts in _spread(w, 30, human=True):
            w.request(a, ts, f"Note {next(n)} for my diary", input_tokens=100, output_tokens=out)
    for i in range(30):  # peers: people talking, in their own words, thinking a little
        a = w.account(f"user-{i}", "background", None, tier="tier1")
        for ts in _spread(w, w.rng.randint(5, 40), human=True):
            w.request(
                a,
                ts,
                f"Help me write an email to my landlord about issue {next(n)}",
                n_messages=w.rng.randint(1, 6),
                output_tokens=300,
                thinking_tokens=w.rng.randint(90, 110),
                input_tokens=500,
            )
    return w


@pytest.fixture(scope="module")
def accounts() -> dict[str, dict[str, Any]]:
    return _world().analysed()


def _strength(acc: dict[str, Any], name: str) -> float:
    return float(acc["indicators"].get(name, {}).get("strength", 0.0))


def test_the_wording_is_unknown_to_the_lexicon() -> None:
    # The premise of every test below: no phrase pattern recognises these instructions.
    for text in (*WRAPPERS, HANDBOOK, TICKET, PLUGIN):
        assert not _lexicon_hits(text.format(p="x", n=1)), text


def test_campaign_in_unknown_words_is_content_and_alerts(
    accounts: dict[str, dict[str, Any]],
) -> None:
    for i in range(6):
        acc = accounts[f"camp-{i}"]
        assert _strength(acc, "cot_share") == 0.0
        assert _strength(acc, "shared_wrappers") >= 0.9, acc["indicators"]
        assert acc["verdict"] == "alert", acc["reasons"]


def test_one_organisations_templated_bot_is_no_campaign(
    accounts: dict[str, dict[str, Any]],
) -> None:
    # Same shape (linked accounts, one template, distinct payloads, traffic from abroad),
    # but every account is the organisation's own.
    for i in range(6):
        acc = accounts[f"bot-{i}"]
        assert acc["cluster_id"] is not None
        assert _strength(acc, "shared_wrappers") == 0.0
        assert acc["verdict"] != "alert", acc["reasons"]
    # Verified, and every linked account its own: full weight.
    assert _strength(accounts["bot-0"], "kyb_verified") == 1.0


def test_kyb_weighs_less_inside_a_multi_organisation_cluster(
    accounts: dict[str, dict[str, Any]],
) -> None:
    assert _strength(accounts["camp-0"], "kyb_verified") == pytest.approx(0.4)
    assert accounts["camp-0"]["verdict"] == "alert"


def test_relay_carries_the_campaigns_wrappers(accounts: dict[str, dict[str, Any]]) -> None:
    for i in range(3):
        acc = accounts[f"relay-{i}"]
        assert acc["cluster_id"] != accounts["camp-0"]["cluster_id"]
        assert _strength(acc, "campaign_wrappers") >= 0.5, acc["indicators"]
        assert acc["verdict"] == "alert", acc["reasons"]


def test_lone_student_with_the_same_words_is_not_lifted(
    accounts: dict[str, dict[str, Any]],
) -> None:
    acc = accounts["student-vpn"]
    assert acc["cluster_id"] is None
    assert "campaign_wrappers" not in acc["indicators"] or (
        _strength(acc, "campaign_wrappers") == 0.0
    )
    assert acc["verdict"] != "alert", acc["reasons"]


def test_a_shard_of_one_handbook_is_found_by_shape(accounts: dict[str, dict[str, Any]]) -> None:
    shards = [accounts[f"shard-{i}"] for i in range(8)]
    assert all(_strength(a, "shared_harvest_template") > 0.5 for a in shards)
    assert sum(a["verdict"] == "alert" for a in shards) >= 6, [a["reasons"] for a in shards]


def test_a_plugin_template_with_short_answers_is_not_a_curriculum(
    accounts: dict[str, dict[str, Any]],
) -> None:
    for i in range(8):
        acc = accounts[f"plugin-{i}"]
        assert _strength(acc, "shared_harvest_template") == 0.0
        assert acc["verdict"] != "alert", acc["reasons"]


def test_system_prompt_shared_across_organisations_only(
    accounts: dict[str, dict[str, Any]],
) -> None:
    assert _strength(accounts["sys-0"], "rare_system_prompt") > 0.5
    assert _strength(accounts["team-0"], "rare_system_prompt") == 0.0


def test_thinking_is_weighed_against_peers(accounts: dict[str, dict[str, Any]]) -> None:
    # Peers spend about a quarter of their output on thinking: three quarters is telling,
    # a third is ordinary.
    assert _strength(accounts["deep-thinker"], "thinking_share") >= 0.99
    assert _strength(accounts["some-thinker"], "thinking_share") == 0.0


def test_output_per_input_is_weighed_against_peers(accounts: dict[str, dict[str, Any]]) -> None:
    assert _strength(accounts["long-answers"], "output_input_ratio") >= 0.5
    assert _strength(accounts["bit-longer"], "output_input_ratio") == 0.0


def test_rate_limit_pressure_never_backs_an_alert() -> None:
    pressed = judge(
        {"shared_wrappers": 1.0, "rate_limit_balancing": 1.0, "rate_limit_pressure": 1.0},
        has_text=True,
    )
    assert pressed.verdict != "alert"
    backed = judge({"shared_wrappers": 1.0, "payment_shared_orgs": 1.0}, has_text=True)
    assert backed.verdict == "alert"


def test_rate_limit_indicators_are_reported_as_their_own_family() -> None:
    # The family scores in the result say what backed a verdict: working the rate limits is
    # the policy question and never backs an alert, so it is not reported as coordination.
    j = judge({"rate_limit_balancing": 0.9, "rate_limit_pressure": 0.6}, has_text=True)
    assert j.verdict == "policy"
    assert j.families["coordination"] == 0.0
    assert j.families["rate_limits"] == 0.9
    assert j.score == 0.9
