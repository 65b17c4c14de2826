"""Verdicts per archetype on the hand-built world: the two-family rule and its exceptions."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from world import MiniWorld

from ircli.analysis.verdicts import judge

ATTACKS = ["cot_hydra", "multilingual", "rubric_grading", "slow_and_low", "agentic_coding"]
BENIGN = [
    "contracted_synthetic_data",
    "eval_lab",
    "campus_nat",
    "oss_agent_users",
    "reseller_with_end_users",
    "enterprise_batch_etl",
    "background",
]


def _verdicts(world: MiniWorld, result: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for a in result["accounts"]:
        out[world.labels[a["account_id"]][0]].append(a["verdict"])
    return out


@pytest.mark.parametrize("archetype", ATTACKS)
def test_every_attack_account_is_alerted(
    world: MiniWorld, result: dict[str, Any], archetype: str
) -> None:
    assert set(_verdicts(world, result)[archetype]) == {"alert"}


@pytest.mark.parametrize("archetype", BENIGN)
def test_no_benign_look_alike_is_alerted(
    world: MiniWorld, result: dict[str, Any], archetype: str
) -> None:
    assert "alert" not in _verdicts(world, result)[archetype]


def test_content_identical_contract_work_is_held_at_watch(
    world: MiniWorld, result: dict[str, Any]
) -> None:
    # Same prompts as the hydra: content alone is strong, the contract holds it back.
    assert set(_verdicts(world, result)["contracted_synthetic_data"]) == {"watch"}


def test_rate_limit_evasion_is_policy_not_distillation(
    world: MiniWorld, result: dict[str, Any]
) -> None:
    assert set(_verdicts(world, result)["rate_limit_evasion"]) == {"policy"}


def test_each_campaign_is_one_cluster(world: MiniWorld, result: dict[str, Any]) -> None:
    clusters: dict[str, set[str | None]] = defaultdict(set)
    for a in result["accounts"]:
        campaign = world.labels[a["account_id"]][1]
        if campaign:
            clusters[campaign].add(a["cluster_id"])
    assert all(len(ids) == 1 and None not in ids for ids in clusters.values()), clusters
    assert len({next(iter(ids)) for ids in clusters.values()}) == len(clusters)


def test_reasons_start_with_the_rule_that_decided(by_account: dict[str, dict[str, Any]]) -> None:
    hydra = by_account["hydra-0"]["reasons"]
    assert hydra[0].startswith("alert: content evidence")
    assert any(r.startswith("[content]") for r in hydra[1:])
    assert any(r.startswith("[identity]") or r.startswith("[coordination]") for r in hydra[1:])
    assert "holds it back" in by_account["synth-0"]["reasons"][0]


def test_content_alone_never_alerts() -> None:
    strong_content = {"cot_share": 1.0, "template_breadth": 1.0, "output_input_ratio": 1.0}
    assert judge(strong_content, has_text=True).verdict == "watch"
    assert judge({**strong_content, "proxy_share": 1.0}, has_text=True).verdict == "alert"
    assert (
        judge({**strong_content, "proxy_share": 1.0, "contract_flags": 1.0}, has_text=True).verdict
        == "watch"
    )


def test_timing_alone_does_not_back_content() -> None:
    assert (
        judge(
            {"cot_share": 1.0, "gap_regularity": 1.0, "round_the_clock": 1.0}, has_text=True
        ).verdict
        == "watch"
    )


def test_template_without_harvesting_content_is_not_content() -> None:
    # Batch ETL and bulk generation: one template, distinct payloads, short outputs.
    j = judge(
        {"template_breadth": 1.0, "single_turn_share": 1.0, "proxy_share": 1.0}, has_text=True
    )
    assert j.verdict != "alert"


def test_without_prompt_text_economics_still_finds_the_hydra(
    world: MiniWorld, hashed_result: dict[str, Any]
) -> None:
    verdicts = _verdicts(world, hashed_result)
    assert hashed_result["summary"]["content_source"] == "hashes and token economics"
    assert set(verdicts["cot_hydra"]) == {"alert"}
    assert set(verdicts["agentic_coding"]) == {"alert"}  # pivot + replay work on hashes
    for archetype in BENIGN:
        assert "alert" not in verdicts[archetype], archetype


def test_summary_counts_match_accounts(result: dict[str, Any]) -> None:
    s = result["summary"]
    assert sum(s["verdicts"].values()) == s["accounts"] == len(result["accounts"])
    assert s["alerted"] == sum(1 for a in result["accounts"] if a["verdict"] == "alert")
    assert s["clusters"] == len(result["clusters"])
