"""Institutions onboarding their people, each beside the campaign it resembles.

* a class signing up together from its campus network and asking its homework through the
  course's template is a cohort, not one hand: it is not alerted, while the same cohort
  signing up from one proxy exit is one operator's batch and is;
* a template whose prompts the members all send (the same homework questions) is no
  curriculum split between them, however many other prompts each sends; one whose
  prompts are disjoint is;
* a company's staff in its one organisation, running their work through its internal
  assistant's fixed instructions in office hours together, coordinate as one customer:
  not alerted, while the same traffic from forty organisations on one card is.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from archetypes import _spread, payload
from world import T0, MiniWorld

CLASS = 30
QUESTIONS = [
    f"Explain step by step how to solve homework problem {k} of week 3, and show your reasoning."
    for k in range(12)
]
TOPICS = ["the integral in", "the proof in", "recursion in", "big-O of", "the limit in"]


def _world(
    *, signup_ip: str, asn_type: str, own_questions: bool, course_card: bool = False
) -> MiniWorld:
    w = MiniWorld(seed=43)
    created = T0 - timedelta(days=3, hours=2)
    for i in range(CLASS):
        a = w.account(
            f"student-{i}",
            "course_class",
            None,
            signup_path="education",
            created_at=created + timedelta(minutes=w.rng.randint(0, 50)),
            signup_ip=signup_ip,
            # the department's card pays for every student's account
            **({"payment_fingerprint": "pay-course"} if course_card else {}),
        )
        volume = max(8, round(40 * math.exp(w.rng.gauss(0, 1.0))))  # each at their own pace
        for j, ts in enumerate(_spread(w, volume, days=5, human=True)):
            if j % 3 == 0:
                # the homework: the same questions for everyone, or each student's own
                k = f"{i}-{j}" if own_questions else str(w.rng.randrange(len(QUESTIONS)))
                text = QUESTIONS[0].replace("problem 0", f"problem {k}")
            else:
                ask = w.rng.choice(["can you explain step by step", "walk me through", "why does"])
                topic = (
                    f"{w.rng.choice(TOPICS)} exercise {w.rng.randint(1, 40)}.{w.rng.randint(1, 9)}"
                )
                text = f"{w.rng.choice(['hey', 'ok so', 'quick q:', ''])} {ask} {topic}?"
            w.request(
                a,
                ts,
                text,
                system_prompt_hash="sp-course-tutor",
                src_ip="10.50.0.1" if asn_type == "edu" else None,
                asn_type=asn_type,
                n_messages=w.rng.randint(1, 6),
                input_tokens=300,
                output_tokens=900,
            )
    for i in range(60):
        a = w.account(f"bg-{i}", "background", None)
        volume = max(10, round(math.exp(w.rng.gauss(math.log(30), 1.0))))
        for ts in _spread(w, volume, days=5, human=True):
            w.request(a, ts, f"Write a short note to {w.rng.randint(0, 10**6)} about lunch.")
    return w


def _students(world: MiniWorld) -> list[dict[str, Any]]:
    return [a for k, a in world.analysed().items() if k.startswith("student-")]


@pytest.fixture(scope="module")
def campus() -> list[dict[str, Any]]:
    return _students(_world(signup_ip="10.50.0.1", asn_type="edu", own_questions=False))


def test_a_class_onboarded_on_its_campus_network_is_not_alerted(
    campus: list[dict[str, Any]],
) -> None:
    assert len(campus) == CLASS
    assert not [a["account_id"] for a in campus if a["verdict"] == "alert"]


def test_the_same_cohort_signing_up_from_one_proxy_exit_is_alerted() -> None:
    batch = _students(_world(signup_ip="100.64.9.9", asn_type="resproxy", own_questions=False))
    alerted = [a for a in batch if a["verdict"] == "alert"]
    assert len(alerted) >= 0.9 * CLASS


def _sharding(own_questions: bool) -> list[float]:
    """The course's accounts (one card: one cluster of many organisations), their sharding."""
    accounts = _students(
        _world(signup_ip="10.50.0.1", asn_type="edu", own_questions=own_questions, course_card=True)
    )
    assert len({a["cluster_id"] for a in accounts}) == 1 and accounts[0]["cluster_id"]
    return [a["indicators"]["curriculum_sharding"]["strength"] for a in accounts]


def test_a_template_everyone_sends_the_same_prompts_through_is_no_curriculum() -> None:
    assert max(_sharding(own_questions=False)) == 0.0


def test_a_template_whose_prompts_are_split_between_members_is_one() -> None:
    assert min(_sharding(own_questions=True)) >= 0.5


def _company(*, one_org: bool) -> list[dict[str, Any]]:

    w = MiniWorld(seed=53)
    counter = iter(range(10**7))
    for i in range(40):
        a = w.account(
            f"staff-{i}", "company", None, payment_fingerprint="card-acme",
            org_id="org-acme" if one_org else f"org-staff-{i}", signup_ip="10.60.0.1",
        )  # fmt: skip
        for ts in _spread(w, max(5, round(40 * math.exp(w.rng.gauss(0, 0.6)))), days=5, human=True):
            if w.rng.random() < 0.6:
                text = f"Explain step by step and show your reasoning: {payload(w, next(counter))}"
            else:
                text = f"Draft a reply to customer ticket {next(counter)} about billing"
            w.request(
                a, ts, text, system_prompt_hash="sp-acme-assistant", src_ip=f"10.60.0.{1 + i % 3}",
                asn_type="business", n_messages=w.rng.choice([1, 2, 3]), output_tokens=900,
            )  # fmt: skip
    for i in range(80):
        a = w.account(f"bg-{i}", "background", None)
        for ts in _spread(w, max(10, round(math.exp(w.rng.gauss(math.log(30), 1.0)))), days=5):
            w.request(a, ts, f"Write a short note to {w.rng.randint(0, 10**6)} about lunch.")
    return [a for k, a in w.analysed().items() if k.startswith("staff-")]


def test_a_companys_staff_using_its_own_assistant_are_one_customer_not_a_campaign() -> None:
    staff = _company(one_org=True)
    assert len({a["cluster_id"] for a in staff}) == 1  # linked: one card, one office
    assert not [a["account_id"] for a in staff if a["verdict"] == "alert"]


def test_the_same_traffic_from_forty_organisations_on_one_card_is_alerted() -> None:
    fronts = _company(one_org=False)
    assert all(a["verdict"] == "alert" for a in fronts)
