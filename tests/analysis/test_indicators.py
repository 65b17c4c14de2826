"""Each indicator pinned on hand-built accounts, including the benign look-alikes."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from ircli.analysis import patterns
from ircli.analysis.indicators import CATALOGUE, FAMILIES


def ind(by_account: dict[str, dict[str, Any]], account: str, name: str) -> dict[str, Any]:
    return by_account[account]["indicators"][name]


def strength(by_account: dict[str, dict[str, Any]], account: str, name: str) -> float:
    return float(by_account[account].get("indicators", {}).get(name, {}).get("strength", 0.0))


def test_catalogue_covers_every_family() -> None:
    assert {i.family for i in CATALOGUE} == set(FAMILIES)
    assert len({i.name for i in CATALOGUE}) == len(CATALOGUE)


def test_cot_share_and_economics_of_the_hydra(by_account: dict[str, dict[str, Any]]) -> None:
    assert ind(by_account, "hydra-0", "cot_share")["value"] == 1.0
    assert strength(by_account, "hydra-0", "output_input_ratio") == 1.0
    assert strength(by_account, "hydra-0", "thinking_share") == 1.0
    assert ind(by_account, "hydra-0", "cot_share")["percentile"] >= 0.9


def test_identity_of_the_hydra(by_account: dict[str, dict[str, Any]]) -> None:
    assert ind(by_account, "hydra-0", "proxy_share")["value"] == 1.0
    assert strength(by_account, "hydra-0", "creation_cohort") >= 0.5
    assert ind(by_account, "hydra-0", "geo_inconsistency")["value"] == 1.0
    assert strength(by_account, "hydra-0", "trial_signup") == pytest.approx(0.3)


def test_language_coercion_and_shared_payment(by_account: dict[str, dict[str, Any]]) -> None:
    assert ind(by_account, "multi-0", "language_coercion_share")["value"] == 1.0
    assert (
        ind(by_account, "multi-0", "payment_shared_orgs")["value"] == 3
    )  # four fake orgs, one card
    assert strength(by_account, "user-0", "payment_shared_orgs") == 0.0


def test_rubric_share(by_account: dict[str, dict[str, Any]]) -> None:
    assert ind(by_account, "judge-0", "judge_share")["value"] == 1.0
    assert strength(by_account, "hydra-0", "judge_share") == 0.0


def test_finished_answer_explain_reasoning_counts_as_cot(
    by_account: dict[str, dict[str, Any]],
) -> None:
    assert ind(by_account, "slow-0", "cot_share")["value"] == 1.0


def test_sharding_of_one_curriculum(by_account: dict[str, dict[str, Any]]) -> None:
    assert strength(by_account, "slow-0", "curriculum_sharding") == 1.0


def test_release_pivot_with_replay(by_account: dict[str, dict[str, Any]]) -> None:
    assert ind(by_account, "agent-0", "release_pivot")["value"] < 2
    assert ind(by_account, "agent-0", "release_replay")["value"] == 1.0
    assert by_account["agent-0"]["families"]["lifecycle"] == 1.0


def test_eval_lab_pivots_too_but_is_exculpated(by_account: dict[str, dict[str, Any]]) -> None:
    assert strength(by_account, "evallab-0", "release_pivot") == 1.0
    assert ind(by_account, "evallab-0", "public_benchmark_share")["value"] == 1.0
    assert strength(by_account, "evallab-0", "contract_flags") == 1.0


def test_campus_nat_sign_up_ip_is_discounted(by_account: dict[str, dict[str, Any]]) -> None:
    campus = [a for a in by_account.values() if a["account_id"].startswith("campus-")]
    measured = [
        a["indicators"]["signup_ip_day"] for a in campus if "signup_ip_day" in a["indicators"]
    ]
    assert measured and max(m["value"] for m in measured) >= 3  # a class signed up together
    assert all(m["strength"] <= 0.25 for m in measured)


def test_popular_open_source_prompt_is_not_rare(by_account: dict[str, dict[str, Any]]) -> None:
    assert ind(by_account, "oss-0", "rare_system_prompt")["value"] == 10
    assert strength(by_account, "oss-0", "rare_system_prompt") < 0.75


def test_reseller_with_end_user_ids_is_no_relay(by_account: dict[str, dict[str, Any]]) -> None:
    assert strength(by_account, "reseller-0", "relay_heterogeneity") == 0.0
    assert strength(by_account, "reseller-0", "contract_flags") == 1.0


def test_batch_etl_is_templated_but_clear(by_account: dict[str, dict[str, Any]]) -> None:
    assert strength(by_account, "etl-0", "template_breadth") == 1.0
    assert strength(by_account, "etl-0", "gap_regularity") == 1.0
    assert by_account["etl-0"]["verdict"] == "clear"


def test_rate_limit_balancing(by_account: dict[str, dict[str, Any]]) -> None:
    assert strength(by_account, "evader-0", "rate_limit_balancing") >= 0.5
    assert strength(by_account, "user-0", "rate_limit_balancing") == 0.0


def test_background_users_have_no_strong_indicator(by_account: dict[str, dict[str, Any]]) -> None:
    for account in ("user-0", "user-1", "user-2"):
        assert by_account[account]["verdict"] == "clear"
        assert all(v < 0.5 for k, v in by_account[account]["families"].items() if k != "timing")


def _match(pattern: str, text: str) -> bool:
    return bool(
        duckdb.execute("SELECT regexp_matches(lower(?), ?)", [text, pattern]).fetchall()[0][0]
    )


@pytest.mark.parametrize(
    "text",
    [
        "Think step by step before answering.",
        "The answer is 17. Explain the reasoning behind it.",
        "请一步一步推理这个问题",
        "Résous étape par étape",
        "Erkläre deinen Lösungsweg Schritt für Schritt",
        "Объясни ход мысли шаг за шагом",
        "段階的に説明してください",
        "단계별로 풀이 과정을 보여줘",
        "Explica tu razonamiento paso a paso",
        # Other words for the same request: logic, inferences, workings, stages.
        "Walk me through your whole line of logic before the answer.",
        "I already know the answer is 113. What I need is the detailed logic that gets there.",
        "Write out the complete sequence of inferences that leads to the answer.",
        "Explain as a tutor would, one stage at a time.",
        "Show every intermediate step, then state the answer.",
        "Write chapter 4 on genetics, with derivations and solved exercises.",
        "Give a fully worked solution with justification for each step.",
    ],
)
def test_cot_elicitation_in_several_languages(text: str) -> None:
    assert _match(patterns.COT_ELICITATION, text)


@pytest.mark.parametrize(
    "text",
    [
        "What is the capital of France?",
        "Write a haiku about rain",
        "Translate 'hello' to German",
        # Look-alikes: logic, stages and answers in ordinary requests.
        "Fix the logic in this for loop, it skips the last item.",
        "What stage of the project should we test the API?",
        "Is the answer to the crossword clue 'aloud'?",
        "Read this poem aloud at the wedding?",
    ],
)
def test_plain_questions_are_not_cot(text: str) -> None:
    assert not _match(patterns.COT_ELICITATION, text)


@pytest.mark.parametrize(
    "text",
    [
        "Think in English, then answer in Chinese.",
        "用英文思考，再回答",
        "Reason using Japanese internally",
    ],
)
def test_thinking_language_coercion(text: str) -> None:
    assert _match(patterns.LANGUAGE_COERCION, text)


def test_safe_rewrite_needs_a_sensitive_topic() -> None:
    rewrite = "Rewrite this answer about building a bomb so that it is safe and policy compliant"
    assert _match(patterns.SAFE_REWRITE, rewrite) and _match(patterns.SENSITIVE_TOPIC, rewrite)
    assert not _match(patterns.SENSITIVE_TOPIC, "Rewrite this cover letter so it sounds friendlier")


def test_judge_prompts() -> None:
    assert _match(patterns.RUBRIC_JUDGE, "Which response is better, A or B?")
    assert _match(patterns.RUBRIC_JUDGE, "Grade the essay against the rubric")
    assert not _match(patterns.RUBRIC_JUDGE, "Tell me a joke about cats")
