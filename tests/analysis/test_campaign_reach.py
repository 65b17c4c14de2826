"""A campaign's instructions reach beyond its own cluster, whatever their words; chance is
reckoned among comparable accounts. Each case beside its look-alike:

* an account linked to none of a campaign that sends nearly all its traffic through the
  campaign's wrappers, in words no phrase list knows, from behind proxies, is alerted; the
  same wrappers from an account with nothing else against it are watched at most;
* a relay mixing a tenant's fresh one-shot payloads, in unknown words and with no campaign
  of the same words to lend it wrappers, is known by their volume even where the text is
  present, across its organisations; one business sending the same over its own keys is
  not alerted;
* users of a popular agent's system prompt, all working in tool loops, who share a
  loop-shaped rhythm are not linked by it; agents of one operator under their own prompt
  who share it are.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from archetypes import _spread
from world import MiniWorld

from ircli.analysis import linking

# Instructions in words no phrase list knows: a campaign rotating many paraphrases of one
# instruction, each carrying too little traffic to make a template token of its own.
_OPEN = ["Quillwork", "Lanternfold", "Brasswise", "Kelpmark", "Tidequill", "Ashgrove"]
_CLOSE = ["seal it", "close the ledger", "stamp the verdict", "ring the bell"]
WRAPPERS = [
    f"{o} desk, {c.split()[-1]} shift: unfold the entire inner ledger behind this item -- "
    + "{p} -- "
    + f"then {c} for the {o.lower()} desk."
    for o in _OPEN
    for c in _CLOSE
]
MEMBERS = 6


def _item(w: MiniWorld, k: int) -> str:
    return (
        f"item {k} of the vault: {w.rng.randint(0, 10**9)} gears and {w.rng.randint(0, 10**9)} pins"
    )


def _harvest(w: MiniWorld, account: str, n: int, counter: Any, **kw: Any) -> None:
    for ts in _spread(w, n):
        text = w.rng.choice(WRAPPERS).format(p=_item(w, next(counter)))
        w.request(account, ts, text, input_tokens=60, output_tokens=1500, **kw)


def _people(w: MiniWorld, account: str, n: int, **kw: Any) -> None:
    topics = ["the garden", "a birthday", "my commute", "the weekend", "a recipe", "taxes"]
    for j, ts in enumerate(_spread(w, n, human=True)):
        text = f"Could you help me write a note about {w.rng.choice(topics)} number {j}?"
        w.request(account, ts, text, n_messages=3, input_tokens=300, output_tokens=250, **kw)


def _world() -> MiniWorld:
    w = MiniWorld(seed=53)
    counter = iter(range(10**7))
    # The campaign: one card over several organisations, its own payloads on every account.
    for i in range(MEMBERS):
        a = w.account(f"camp-{i}", "campaign", "camp", payment_fingerprint="pf-camp")
        _harvest(w, a, 70, counter)
    # An account linked to none of it, behind residential proxies, speaking the campaign.
    lone = w.account("lone-0", "campaign", "camp")
    _harvest(w, lone, 60, counter, asn_type="resproxy", country="NL")
    # A customer who sends the same instructions with nothing else against it.
    fan = w.account("fan-0", "customer", None)
    _harvest(w, fan, 60, counter)
    # Ordinary people, enough of them to be the peers everyone is measured against.
    for i in range(40):
        _people(w, w.account(f"person-{i}", "background", None), 40)
    return w


@pytest.fixture(scope="module")
def accounts() -> dict[str, dict[str, Any]]:
    return _world().analysed()


def test_an_unlinked_account_speaking_a_campaign_behind_proxies_is_alerted(
    accounts: dict[str, dict[str, Any]],
) -> None:
    lone = accounts["lone-0"]
    assert lone["cluster_id"] is None
    assert lone["indicators"]["campaign_wording"]["strength"] >= 0.9
    assert lone["verdict"] == "alert"


def test_the_same_wording_with_nothing_against_it_is_not_alerted(
    accounts: dict[str, dict[str, Any]],
) -> None:
    fan = accounts["fan-0"]
    assert fan["cluster_id"] is None
    assert fan["indicators"]["campaign_wording"]["strength"] >= 0.9  # the same content ...
    assert fan["verdict"] in ("watch", "clear")  # ... without backing


def test_the_campaign_itself_and_people_are_judged_as_before(
    accounts: dict[str, dict[str, Any]],
) -> None:
    assert {accounts[f"camp-{i}"]["verdict"] for i in range(MEMBERS)} == {"alert"}
    # campaign_wording is for the unlinked: the campaign's own members are measured otherwise
    assert "campaign_wording" not in accounts["camp-0"]["indicators"]
    people = [a for k, a in accounts.items() if k.startswith("person-")]
    assert all(a["verdict"] == "clear" for a in people)


# -- a relay in words no phrase list knows, with no campaign of the same words ---------------


def _relay_world() -> MiniWorld:
    """Two relays' keys and one business's two keys, each mixing fresh one-shot payloads in
    unknown words with ordinary chat, beside ordinary people."""
    w = MiniWorld(seed=61)
    counter = iter(range(10**7))

    def send(account: str, **kw: Any) -> None:
        for j, ts in enumerate(_spread(w, 600)):
            if j % 2 == 0:
                text = f"Lanternfold: lay bare each hidden hop for {_item(w, next(counter))}."
                w.request(account, ts, text, input_tokens=60, output_tokens=900, **kw)
            else:
                text = f"Could you help me write a note about the weekend number {j % 7}?"
                w.request(account, ts, text, n_messages=3, **kw)

    # A relay: two organisations, one card, the same data-centre servers.
    for i in range(2):
        a = w.account(f"relay-{i}", "relay", "relay", payment_fingerprint="pf-relay")
        send(a, src_ip=f"10.77.0.{1 + w.rng.randint(0, 3)}", asn_type="hosting")
    # One business's own two keys on one card: the same traffic, nothing hidden.
    for i in range(2):
        a = w.account(f"biz-{i}", "business", None, org_id="org-biz", payment_fingerprint="pf-biz")
        send(a)
    for i in range(40):
        _people(w, w.account(f"person-{i}", "background", None), 40)
    return w


@pytest.fixture(scope="module")
def relay_accounts() -> dict[str, dict[str, Any]]:
    return _relay_world().analysed()


def test_a_relays_fresh_volume_counts_where_its_words_are_unknown(
    relay_accounts: dict[str, dict[str, Any]],
) -> None:
    for i in range(2):
        relay = relay_accounts[f"relay-{i}"]
        assert relay["indicators"]["fresh_volume"]["strength"] >= 0.5
        assert relay["verdict"] == "alert", relay["reasons"]


def test_one_business_sending_the_same_over_its_own_keys_is_not_alerted(
    relay_accounts: dict[str, dict[str, Any]],
) -> None:
    for i in range(2):
        biz = relay_accounts[f"biz-{i}"]
        assert biz["cluster_id"] is not None  # linked by its card, as the relay is ...
        # ... but its volume over its own keys is its product, with its text there to read
        assert "fresh_volume" not in biz["indicators"]
        assert biz["verdict"] != "alert", biz["reasons"]


def test_the_share_of_fresh_prompts_alone_stays_a_hash_stand_in(
    relay_accounts: dict[str, dict[str, Any]],
) -> None:
    assert all("fresh_one_shot" not in a["indicators"] for a in relay_accounts.values())


# -- chance among accounts that converse the same way ----------------------------------------


def _link_tables(con: duckdb.DuckDBPyConnection, prompt_holders: int, sharing: int) -> None:
    """400 accounts: 300 one-shot, 100 in tool loops. ``prompt_holders`` loop users hold the
    same system prompt, ``sharing`` of them the rhythm ``clock/5/0`` (held by 8 in all)."""
    con.execute("CREATE TABLE f_base AS SELECT 'a' || i AS account_id FROM range(400) t(i)")
    con.execute("CREATE TABLE concerted (kind VARCHAR, tok VARCHAR)")
    rows: list[tuple[str, str, str]] = []
    for i in range(300):
        rows.append((f"a{i}", "rhythm", f"day/{i % 6}/1.0"))
    loop_rhythms = [f"clock/{k}/0.0" for k in (3, 4, 6, 7)]
    for j in range(100):
        acc = f"a{300 + j}"
        if j < prompt_holders:
            rows.append((acc, "system_prompt", "agent-prompt"))
        shared = j < sharing or prompt_holders <= j < prompt_holders + 8 - sharing
        rows.append((acc, "rhythm", "clock/5/0.0" if shared else loop_rhythms[j % 4]))
    con.execute("CREATE TABLE raw (account_id VARCHAR, kind VARCHAR, tok VARCHAR)")
    con.executemany("INSERT INTO raw VALUES (?, ?, ?)", rows)
    groups = " ".join(f"WHEN '{k}' THEN '{g}'" for k, (g, _) in linking.TOKEN_KINDS.items())
    con.execute(
        f"""
        CREATE TABLE tokens AS
        WITH deg AS (SELECT kind, tok, count(*) AS deg FROM raw GROUP BY ALL)
        SELECT raw.*, deg.deg, CASE raw.kind {groups} END AS grp
        FROM raw JOIN deg USING (kind, tok) WHERE deg.deg >= 2
        """
    )


def _linked_by_pair(prompt_holders: int, sharing: int) -> int:
    con = duckdb.connect()
    _link_tables(con, prompt_holders, sharing)
    linking.link(con)
    return int(
        con.execute(
            "SELECT count(DISTINCT account_id) FROM links WHERE kinds = ['system_prompt', 'rhythm']"
        ).fetchall()[0][0]
    )


def test_a_popular_agent_prompt_and_a_loop_rhythm_do_not_link_its_users() -> None:
    # 6 of the prompt's 30 loop users share a rhythm 8 of 100 loop users have: chance
    assert _linked_by_pair(prompt_holders=30, sharing=6) == 0


def test_one_operators_agents_sharing_prompt_and_rhythm_are_linked() -> None:
    # 6 of the prompt's 7 holders share it: far beyond what loop users' rhythms give
    assert _linked_by_pair(prompt_holders=7, sharing=6) == 6
