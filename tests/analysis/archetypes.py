"""One hand-built world holding every archetype the analysis must tell apart.

Small (a few thousand requests) so the whole analysis runs in about a second; each
builder shapes its accounts the way that archetype behaves, not the way one generator
happens to phrase it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from world import T0, MiniWorld

DAYS = 4


def _spread(w: MiniWorld, n: int, *, days: int = DAYS, human: bool = False) -> list[datetime]:
    """``n`` timestamps over ``days``: humans in daytime bursts, machines around the clock."""
    out = []
    for _ in range(n):
        day = w.rng.randrange(days)
        sec = w.rng.randint(9 * 3600, 18 * 3600) if human else w.rng.randint(0, 86399)
        out.append(T0 + timedelta(days=day, seconds=sec))
    return sorted(out)


TOPICS = [
    "integral of x^{k}",
    "prime factors of {k}",
    "shortest path in graph {k}",
    "proof of lemma {k}",
    "limit of sequence {k}",
    "derivative of sin({k}x)",
    "probability puzzle {k}",
    "sorting {k} items",
]


def payload(w: MiniWorld, k: int) -> str:
    return w.rng.choice(TOPICS).format(k=k) + f" with constraint set {w.rng.randint(0, 10**9)}"


def build() -> MiniWorld:
    w = MiniWorld(seed=11)
    counter = iter(range(10**7))

    # -- attacks ------------------------------------------------------------------------
    created = T0 - timedelta(days=2, hours=3)
    for i in range(6):  # CoT hydra: fresh trial cohort, proxies, one template, many payloads
        a = w.account(
            f"hydra-{i}",
            "cot_hydra",
            "camp-hydra",
            signup_path="trial",
            created_at=created + timedelta(minutes=i),
            billing_country="US",
        )
        for ts in _spread(w, 60):
            w.request(
                a,
                ts,
                f"Solve: {payload(w, next(counter))}. Explain your reasoning step by step in full detail.",
                asn_type="resproxy",
                country=w.rng.choice(["BR", "VN", "DE", "IN"]),
                src_ip=f"100.64.{w.rng.randint(0, 255)}.{w.rng.randint(1, 254)}",
                input_tokens=80,
                output_tokens=2400,
                thinking_tokens=1500,
            )
    for i in range(4):  # multilingual coercion, payment shared across fake orgs
        a = w.account(f"multi-{i}", "multilingual", "camp-multi", payment_fingerprint="PAY-MULTI")
        for ts in _spread(w, 50):
            w.request(
                a,
                ts,
                f"{payload(w, next(counter))}。请一步一步推理，用英文思考，然后给出答案。",
                asn_type="vpn",
                country="SG",
                input_tokens=90,
                output_tokens=2000,
            )
    for i in range(4):  # rubric grading farm, payment shared
        a = w.account(f"judge-{i}", "rubric_grading", "camp-judge", payment_fingerprint="PAY-JUDGE")
        for ts in _spread(w, 50):
            w.request(
                a,
                ts,
                f"You are an impartial judge. Score the following response on a scale of 1-10 using the rubric. Response: {payload(w, next(counter))}",
                input_tokens=400,
                output_tokens=700,
            )
    # Slow-and-low: aged accounts, a trickle each, one curriculum split between them.
    for i in range(5):
        a = w.account(f"slow-{i}", "slow_and_low", "camp-slow")
        for ts in _spread(w, 24):
            w.request(
                a,
                ts,
                f"Here is the final answer to problem {next(counter)}: 42. Explain the reasoning behind this answer so a student can follow it.",
                input_tokens=120,
                output_tokens=1600,
            )
    # Agentic coding: tools, multi-turn, pivots to the new model within hours and replays.
    release = T0 + timedelta(days=2)
    w.releases.append({"model": "model-b", "released_at": release})
    for i in range(3):
        a = w.account(
            f"agent-{i}",
            "agentic_coding",
            "camp-agent",
            payment_fingerprint="PAY-AGENT",
            signup_path="startup",
        )
        tasks = [
            f"Refactor the module and write unit tests for repository task {next(counter)} step by step, explaining your reasoning"
            for _ in range(20)
        ]
        for j, task in enumerate(tasks):
            w.request(
                a,
                T0 + timedelta(hours=j * 2 + i),
                task,
                tools_hash="TOOLS-1",
                n_messages=6,
                input_tokens=3000,
                output_tokens=4000,
                asn_type="hosting",
            )
        for j, task in enumerate(tasks):
            w.request(
                a,
                release + timedelta(hours=1, minutes=j * 5 + i),
                task,
                model="model-b",
                tools_hash="TOOLS-1",
                n_messages=6,
                input_tokens=3000,
                output_tokens=4000,
                asn_type="hosting",
            )

    # -- benign look-alikes -------------------------------------------------------------
    for i in range(3):  # contracted synthetic data: the hydra's content, under contract
        a = w.account(
            f"synth-{i}",
            "contracted_synthetic_data",
            None,
            org_id="org-synth",
            kyb_verified=True,
            contract_flags=["synthetic_data_ok"],
            tier="tier4",
            payment_fingerprint="PAY-SYNTH",
        )
        for ts in _spread(w, 80):
            w.request(
                a,
                ts,
                f"Solve: {payload(w, next(counter))}. Explain your reasoning step by step in full detail.",
                asn_type="hosting",
                input_tokens=80,
                output_tokens=2400,
                thinking_tokens=1500,
            )
    for i in range(2):  # evaluation lab: benchmark prompts, pivots to the new model and replays
        a = w.account(
            f"evallab-{i}",
            "eval_lab",
            None,
            org_id="org-eval",
            kyb_verified=True,
            contract_flags=["eval_partner"],
            payment_fingerprint="PAY-EVAL",
        )
        qs = [
            f"The following are multiple choice questions (with answers) about physics. Question {k}: ...\nA) 1\nB) 2\nC) 3\nD) 4\nAnswer with only the letter."
            for k in range(30)
        ]
        for j, q in enumerate(qs):
            w.request(a, T0 + timedelta(hours=j), q, asn_type="business")
            w.request(
                a, release + timedelta(hours=2, minutes=j), q, model="model-b", asn_type="business"
            )
    for i in range(
        8
    ):  # campus NAT: one sign-up IP, same day, students asking for step-by-step help
        a = w.account(
            f"campus-{i}",
            "campus_nat",
            None,
            signup_path="education",
            signup_ip="10.200.0.1",
            created_at=T0 - timedelta(days=40, hours=i),
            email_domain="uni.example",
        )
        for ts in _spread(w, 15, human=True):
            w.request(
                a,
                ts,
                w.rng.choice(
                    [
                        f"Can you explain step by step how to approach homework question {next(counter)}?",
                        f"my code for lab {next(counter)} segfaults, any idea why",
                        f"summarise the main argument of chapter {next(counter)} of the reading",
                        f"what is the difference between entropy and enthalpy ({next(counter)})",
                        f"proofread my essay intro please: draft {next(counter)}",
                        f"give me a study plan for the midterm in week {next(counter)}",
                        f"why does my regression have negative r squared, dataset {next(counter)}",
                        f"list sources about the french revolution for seminar {next(counter)}",
                    ]
                ),
                src_ip="10.200.0.1",
                asn_type="edu",
                n_messages=w.rng.randint(1, 5),
            )
    for i in range(10):  # developers sharing one open-source agent's system prompt
        a = w.account(f"oss-{i}", "oss_agent_users", None)
        # each at their own pace, as people's volumes vary (not one quota)
        for ts in _spread(w, max(8, round(20 * math.exp(w.rng.gauss(0, 1.0)))), human=True):
            w.request(
                a,
                ts,
                f"Fix the failing test in my project {next(counter)}: {w.rng.choice(['TypeError in parser', 'off-by-one in loop', 'flaky network mock'])}",
                system_prompt_hash="SYS-OSS-AGENT",
                tools_hash="TOOLS-OSS",
                n_messages=w.rng.randint(2, 9),
            )
    a = w.account(
        "reseller-0",
        "reseller_with_end_users",
        None,
        kyb_verified=True,
        contract_flags=["reseller"],
        tier="tier4",
    )
    for ts in _spread(w, 120):
        w.request(
            a,
            ts,
            f"{w.rng.choice(['Summarise', 'Translate', 'Draft a reply to'])} message {next(counter)} from a customer",
            user_agent=f"client-{w.rng.randint(0, 40)}",
            country=w.rng.choice(["US", "FR", "JP", "BR", "KE"]),
            system_prompt_hash=f"SYS-T{w.rng.randint(0, 30)}",
            end_user_id=f"eu-{w.rng.randint(0, 500)}",
        )
    a = w.account("etl-0", "enterprise_batch_etl", None, kyb_verified=True, tier="tier4")
    for j in range(200):
        w.request(
            a,
            T0 + timedelta(minutes=j * 25),
            f"Extract the invoice number, date and total from this document as JSON: INVOICE {next(counter)} ACME CORP total {w.rng.randint(1, 9999)}",
            endpoint="batch",
            asn_type="hosting",
            input_tokens=900,
            output_tokens=60,
        )
    # Rate-limit evasion: one operator's accounts each held just under the tier ceiling.
    for i in range(4):
        a = w.account(
            f"evader-{i}",
            "rate_limit_evasion",
            "op-evasion",
            payment_fingerprint="PAY-EVADE",
            org_id="org-evade",
        )
        for d in range(DAYS):
            for m in range(90):
                w.request(
                    a,
                    T0 + timedelta(days=d, minutes=m * 15 + i),
                    f"Write a product description for catalogue item {next(counter)}",
                    input_tokens=60,
                    output_tokens=200,
                )
    for i in range(24):  # background users
        a = w.account(f"user-{i}", "background", None)
        for ts in _spread(w, w.rng.randint(5, 40), human=True):
            w.request(
                a,
                ts,
                w.rng.choice(
                    [
                        f"What should I cook tonight with {next(counter)} eggs?",
                        f"Help me write an email to my landlord about issue {next(counter)}",
                        f"Explain the difference between a list and a tuple in Python, example {next(counter)}",
                        f"Summarise this article for me: news item {next(counter)} about the local elections",
                    ]
                ),
                n_messages=w.rng.randint(1, 6),
                output_tokens=w.rng.randint(100, 600),
                input_tokens=w.rng.randint(50, 800),
            )
    return w
