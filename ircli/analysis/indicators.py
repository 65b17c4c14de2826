"""The indicator catalogue: definition, value, strength, peer percentile and reason.

Each indicator is a SQL expression over one account's measurements (``f``), its cluster's
(``cf``) and its peers' (``peer``: accounts of the same tier). Strength maps the value onto
0…1; where a quantity has no natural scale (token ratios, volumes) the value itself is
taken relative to the peer median, so the same definition holds for labs of any size.
The percentile is the account's rank among its peers, shown to the responder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

FAMILIES = (
    "content",
    "economics",
    "timing",
    "lifecycle",
    "identity",
    "coordination",
    "rate_limits",
    "exculpatory",
)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One named measurement with its family, SQL and the sentence that explains it."""

    name: str
    family: str
    value: str
    strength: str  # SQL over ``v`` (the value), 0…1
    reason: str  # str.format with value=…, percentile=…
    definition: str
    needs_text: bool = False
    # Measured only where the prompt text is absent: a stand-in for what the text would show,
    # which would only double-count it where the text is there ...
    hash_only: bool = False
    # ... except where this SQL condition holds: what the text cannot show, in words no
    # lexicon knows, the hashes still do.
    with_text: str | None = None


def ramp(lo: float, hi: float, over: str | None = None) -> str:
    """Strength rising linearly from 0 at ``lo`` to 1 at ``hi`` (above ``over``, an SQL
    baseline, where given)."""
    v = f"v - {over}" if over else "v"
    return f"least(1.0, greatest(0.0, ({v} - {lo}) / {hi - lo}))"


# Pivot delays of every account that moved to a new model: its first quartile and median.
_MOVERS = "(SELECT quantile_cont(pivot_delay_h, [0.25, 0.5]) FROM f_life WHERE n_new >= 5)"


def _share(col: str) -> str:
    return f"CASE WHEN f.n_text > 0 THEN f.{col}::DOUBLE / f.n_text END"


CATALOGUE: tuple[Indicator, ...] = (
    # -- content --------------------------------------------------------------------------
    # The lexicon's shares count above what ordinary accounts already send of each class
    # (``fl``: ``content_floor``), so a population that often asks for steps or reasons is
    # measured against itself.
    Indicator(
        "cot_share",
        "content",
        _share("cot"),
        ramp(0.15, 0.5, over="fl.cot"),
        "{value:.0%} of prompts ask for step-by-step reasoning or the reasoning behind a given answer (peer percentile {percentile:.0%})",
        "share of prompts eliciting chain-of-thought, in several languages",
        True,
    ),
    Indicator(
        "harvest_share",
        "content",
        _share("harvest"),
        ramp(0.15, 0.5, over="fl.harvest"),
        "{value:.0%} of prompts ask for reasoning traces, grading or safe rewrites, of any kind (peer percentile {percentile:.0%})",
        "share of prompts in any harvesting class (a relay mixes several tenants' kinds)",
        True,
    ),
    Indicator(
        "harvest_volume",
        "content",
        "CASE WHEN f.n_text > 0 THEN (f.harvest::DOUBLE / f.n_text) * f.n / greatest(peer.med_n, 1) END",
        ramp(3.0, 10.0),
        "sends {value:.1f}x as many harvesting prompts as a typical peer sends prompts at all, even if mixed with other traffic (percentile {percentile:.0%})",
        "estimated harvesting requests relative to the peer median request count",
        True,
    ),
    Indicator(
        "language_coercion_share",
        "content",
        _share("lang"),
        ramp(0.05, 0.3, over="fl.lang"),
        "{value:.0%} of prompts tell the model which language to think in (peer percentile {percentile:.0%})",
        "share of prompts coercing the reasoning language",
        True,
    ),
    Indicator(
        "judge_share",
        "content",
        _share("judge"),
        ramp(0.15, 0.5, over="fl.judge"),
        "{value:.0%} of prompts ask the model to grade or compare responses against a rubric (peer percentile {percentile:.0%})",
        "share of rubric / judge prompts",
        True,
    ),
    Indicator(
        "safe_rewrite_share",
        "content",
        _share("rewrite"),
        ramp(0.05, 0.3, over="fl.rewrite"),
        "{value:.0%} of prompts ask for 'safe' rewrites of sensitive material (peer percentile {percentile:.0%})",
        "share of safe-rewrite prompts on sensitive topics",
        True,
    ),
    Indicator(
        "template_breadth",
        "content",
        "CASE WHEN f.n_text >= 5 AND f.mean_len >= 48 THEN f.top_template_share * (f.n_prompts::DOUBLE / f.n) END",
        ramp(0.35, 0.75),
        "one prompt template carries most traffic while the payloads stay distinct (concentration × breadth {value:.2f}, peer percentile {percentile:.0%})",
        "top template share × distinct-prompt share",
        True,
    ),
    Indicator(
        "shared_wrappers",
        "content",
        # A linked group, each member with its own payloads: one data set being filled. Only
        # across organisations: one customer's pipeline over its own keys is its product.
        "CASE WHEN cf.size >= 3 AND cf.orgs >= 2 AND f.n_text > 0"
        " THEN cf.wrapper_cover * (1 - cf.dup_share) END",
        ramp(0.45, 0.75),
        "linked accounts of several organisations wrap their own payloads in the same fixed instructions, whatever their wording ({value:.2f}, percentile {percentile:.0%})",
        "share of the cluster's prompts sent through wrappers most members use × (1 − share of prompts two members sent)",
        True,
    ),
    Indicator(
        "campaign_wrappers",
        "content",
        # only for linked accounts: sharing a campaign's wording is what a student using
        # the same public prompt does too; a relay is linked to its own tenants
        "CASE WHEN f.n_text >= 10 AND cf.size >= 2 THEN fc.campaign_wrapper_share END",
        # a relay mixes many tenants' traffic: a third of it through one campaign's wrappers
        # is already most of what a harvesting tenant sends
        ramp(0.2, 0.45),
        "{value:.0%} of prompts go through the fixed instructions of a campaign that spans several organisations (percentile {percentile:.0%})",
        "share of prompts sent through wrappers that a multi-organisation cluster shares with disjoint payloads",
        True,
    ),
    Indicator(
        "campaign_wording",
        "content",
        # An account linked to no one that sends most of its traffic through a campaign's
        # wrappers speaks the campaign's instructions, whatever their words: the wording-free
        # counterpart of the phrase shares above, with their bar (most of its traffic). Like
        # them it is content only; a student using a public prompt is held off by the backing.
        "CASE WHEN f.n_text >= 10 AND cf.size IS NULL THEN fc.campaign_wrapper_share END",
        ramp(0.5, 0.9),
        "{value:.0%} of prompts go through the fixed instructions of a campaign that spans several organisations, though nothing links it to them (percentile {percentile:.0%})",
        "share of prompts sent through a multi-organisation campaign's wrappers, for an account linked to no cluster",
        True,
    ),
    Indicator(
        "fresh_one_shot",
        "content",
        # What a harvesting script sends, read off the hashes: one-shot requests whose prompt
        # no other account ever sent (a fresh payload each time), far beyond its peers. People
        # ask what others ask and talk in conversations; only where every account's prompts
        # are all novel does the peer median take the signal away.
        "CASE WHEN f.n >= 20 AND f.n_prompts > 0 THEN f.fresh_share - peer.med_fresh END",
        ramp(0.3, 0.6),
        "{value:+.0%} more of its requests are one-shot prompts no other account sent than its peers' (percentile {percentile:.0%})",
        "share of single-turn requests with prompts no other account sent, minus the peer median (hashes only)",
        hash_only=True,
    ),
    Indicator(
        "fresh_volume",
        "content",
        # A relay mixes its harvesting tenant's fresh prompts with others' ordinary traffic:
        # diluted as a share, but the fresh one-shots alone outnumber a typical peer's traffic.
        # Volume is the operator's, not one key's: an account sending more of them than its
        # peers counts those its linked accounts send too.
        "CASE WHEN f.n >= 20 AND f.n_prompts > 0 THEN CASE WHEN fx.own > 0"
        " THEN greatest(fx.own, coalesce(fx.linked, 0.0)) ELSE fx.own END END",
        ramp(3.0, 8.0),
        "sends, with its linked accounts, {value:.1f}x as many one-shot prompts no other account sent, beyond its peers' share, as a typical peer sends prompts at all (percentile {percentile:.0%})",
        "one-shot requests with prompts no other account sent beyond the peer median share, relative to the peer median request count; summed over linked accounts (hashes only, or linked across organisations)",
        hash_only=True,
        # Where the text is present, the phrase shares and their volume see only the wording a
        # lexicon knows: a relay's tenant phrased otherwise, with no campaign of the same
        # words to lend it wrappers, shows nowhere but here. Only across organisations: one
        # customer's pipeline of fresh one-shot requests over its own keys is its product,
        # and its text is there to read. (The share alone, ``fresh_one_shot``, is what
        # people's own questions show too; only volume far beyond peers tells.)
        with_text="coalesce(cf.orgs, 1) >= 2",
    ),
    # -- economics ------------------------------------------------------------------------
    Indicator(
        "output_input_ratio",
        "economics",
        "f.out_in / nullif(peer.med_out_in, 0)",
        ramp(1.5, 4.0),
        "takes {value:.1f}× more output per input token than the median peer (percentile {percentile:.0%})",
        "median output/input tokens relative to the peer median",
    ),
    Indicator(
        "single_turn_share",
        "economics",
        "f.single_turn - peer.med_single_turn",
        ramp(0.15, 0.5),
        "single-turn share {value:+.0%} above peers: one-shot harvesting rather than conversation (percentile {percentile:.0%})",
        "single-turn share minus the peer median",
    ),
    Indicator(
        "thinking_share",
        "economics",
        "f.thinking_share / greatest(peer.med_thinking, 0.02)",
        ramp(1.5, 3.0),
        "spends {value:.1f}× the peer median share of output on visible thinking (percentile {percentile:.0%})",
        "thinking tokens / all output tokens, relative to peers",
    ),
    # -- timing ---------------------------------------------------------------------------
    Indicator(
        "round_the_clock",
        "timing",
        "CASE WHEN f.n_days >= 2 AND f.n >= 24 THEN f.n_hours_of_day / 24.0 END",
        ramp(0.7, 0.95),
        "active in {value:.0%} of the hours of the day: no human daily rhythm (percentile {percentile:.0%})",
        "share of hours of the day with activity",
    ),
    Indicator(
        "gap_regularity",
        "timing",
        "CASE WHEN f.n >= 10 AND f.gap_mean > 0 THEN 1 - f.gap_sd / f.gap_mean END",
        ramp(0.3, 0.7),
        "requests arrive at machine-regular intervals (regularity {value:.2f}, percentile {percentile:.0%})",
        "1 − coefficient of variation of gaps between requests",
    ),
    # -- lifecycle ------------------------------------------------------------------------
    Indicator(
        "release_pivot",
        "lifecycle",
        "CASE WHEN f.n_new >= 5 THEN f.pivot_delay_h END",
        # Within a day, or among the first quarter of the accounts that moved at all (fading
        # out by the median mover): how early is early depends on how the lab's users adopt.
        "CASE WHEN v IS NOT NULL AND f.n_new >= 0.3 * f.n_since THEN greatest("
        "CASE WHEN v <= 24 THEN 1.0 ELSE 0.0 END, "
        f"least(1.0, greatest(0.0, ({_MOVERS}[2] - v) / greatest({_MOVERS}[2] - {_MOVERS}[1], 1.0)))"
        ") ELSE 0.0 END",
        "moved to a newly released model {value:.0f} h after launch (percentile {percentile:.0%})",
        "hours from a model's release to the account's first request on it",
    ),
    Indicator(
        "release_replay",
        "lifecycle",
        # enough new-model traffic that a replay rate is a rate, not a coincidence
        "CASE WHEN f.new_prompts >= 20 THEN f.replay_new - f.repeat_old END",
        ramp(0.15, 0.35),
        "{value:+.0%} of its new-model requests replay prompts it sent before the release, beyond its usual repetition (percentile {percentile:.0%})",
        "share of new-model requests re-sending pre-release prompts, minus the account's own repeat rate on older models",
    ),
    Indicator(
        "payment_shared_orgs",
        "identity",
        "f.pay_orgs - 1",
        ramp(0.0, 2.0),
        "its payment fingerprint is shared with {value:.0f} other organisation(s) (percentile {percentile:.0%})",
        "other organisations paying with the same fingerprint",
    ),
    Indicator(
        "fleet_shared_orgs",
        "identity",
        "coalesce(fl.fleet_orgs, 1) - 1",
        ramp(0.0, 2.0),
        "sends from the same set of data-centre servers as {value:.0f} other organisation(s) (percentile {percentile:.0%})",
        "other organisations sending from the same set of data-centre addresses",
    ),
    Indicator(
        "signup_ip_day",
        "identity",
        "f.sip_day_accts - 1",
        # Campus, office and mobile networks put many people behind one address.
        "least(1.0, greatest(0.0, (v - 1) / 3.0)) * least(1.0, ln(20) / ln(greatest(f.sip_accts, 2)))"
        " * CASE WHEN f.signup_ip_shared_net THEN 0.25 ELSE 1.0 END",
        "{value:.0f} other account(s) signed up from the same IP on the same day (percentile {percentile:.0%})",
        "accounts created from one sign-up IP on one day, discounted for busy IPs",
    ),
    Indicator(
        "creation_cohort",
        "identity",
        "f.cohort_accts::DOUBLE / greatest(peer.med_cohort, 1)",
        # A burst signing up from a campus's or an office's network is an institution
        # onboarding its people, discounted as the same-day sign-ups from such an address are.
        f"{ramp(3.0, 8.0)} * CASE WHEN f.signup_ip_institution THEN 0.25 ELSE 1.0 END",
        "created in a burst of {value:.1f}× the usual sign-ups per hour on its path (percentile {percentile:.0%})",
        "accounts created in the same hour on the same path, relative to the peer median",
    ),
    Indicator(
        "proxy_share",
        "identity",
        "f.proxy_share",
        ramp(0.2, 0.6),
        "{value:.0%} of traffic comes through residential proxies or VPNs (percentile {percentile:.0%})",
        "share of requests from resproxy / vpn networks",
    ),
    Indicator(
        "geo_inconsistency",
        "identity",
        "f.geo_mismatch",
        ramp(0.4, 0.9),
        "{value:.0%} of traffic comes from countries other than the billing country (percentile {percentile:.0%})",
        "share of requests outside the billing country",
    ),
    Indicator(
        "trial_signup",
        "identity",
        "CASE WHEN f.signup_path = 'trial' THEN 1.0 ELSE 0.0 END",
        "0.3 * v",
        "signed up through the trial path",
        "sign-up path is trial",
    ),
    Indicator(
        "rare_system_prompt",
        "identity",
        # Organisations, not accounts: a business's accounts share its own deployment.
        "f.sph_orgs",
        "CASE WHEN v >= 2 THEN least(1.0, ln(5) / ln(greatest(v, 2))) * least(1.0, (v - 1) / 2.0) ELSE 0.0 END",
        "shares its main system prompt with {value:.0f} organisations in all (rarer is stronger; percentile {percentile:.0%})",
        "organisations sharing the main system prompt, discounted for popular prompts",
    ),
    # -- coordination ---------------------------------------------------------------------
    Indicator(
        "synchronised_activity",
        "coordination",
        # across organisations: one customer's staff keep its office hours together
        "CASE WHEN cf.size >= 3 AND cf.orgs >= 2 THEN cf.sync_ratio END",
        ramp(3.0, 8.0),
        "linked accounts are active in the same hours {value:.1f}× more than chance (percentile {percentile:.0%})",
        "co-activity of cluster members relative to their own activity spread",
    ),
    Indicator(
        "curriculum_sharding",
        "coordination",
        # across organisations: one customer's keys running its own tool split its users'
        # work between them, which is its product
        "CASE WHEN cf.size >= 3 AND cf.orgs >= 2"
        " THEN cf.template_cover * (1 - greatest(cf.dup_share, cf.template_dup)) END",
        ramp(0.5, 0.85),
        "linked accounts split one prompt template between them with almost no prompt sent twice ({value:.2f}, percentile {percentile:.0%})",
        "members sharing a template × (1 − share of its prompts, or of all theirs, sent by two members)",
    ),
    Indicator(
        "alike_shards",
        "coordination",
        # Without text no template shows the curriculum; the shards still send prompts no
        # one else sends, alike in volume and token sizes far beyond their peers.
        "CASE WHEN sh.shard_size >= 3 THEN sh.shard_fresh ELSE 0.0 END",
        ramp(0.5, 0.85),
        "one of several accounts sending one-shot prompts no one else sends, alike in volume and token sizes far beyond their peers: shards of one data set ({value:.0%} of their prompts unshared, percentile {percentile:.0%})",
        "in a group of accounts alike in volume and token sizes far beyond peers, each sending one-shot prompts no one else sends: the group's share of unshared prompts (hashes only)",
        hash_only=True,
    ),
    Indicator(
        "rate_limit_balancing",
        "rate_limits",
        "greatest(f.mean_day / nullif(peer.ceiling_day, 0), f.p90_minute / nullif(peer.ceiling_minute, 0))",
        # Evasion needs several accounts: a lone heavy user near the ceiling is a customer.
        "least(1.0, greatest(0.0, (v - 0.5) / 0.3)) * CASE WHEN coalesce(cf.size, 1) >= 2 THEN 1.0 ELSE 0.0 END",
        "runs steadily at {value:.0%} of the highest rate its tier reaches, alongside linked accounts (percentile {percentile:.0%})",
        "typical rate relative to the peer ceiling",
    ),
    Indicator(
        "shared_harvest_template",
        "coordination",
        "ts.template_siblings",
        "least(1.0, greatest(0.0, (v - 2) / 6.0)) * least(1.0, greatest(0.0, (ts.template_harvest_share - 0.6) / 0.3))"
        # a split curriculum is disjoint: prompts other accounts also sent speak against it
        " * least(1.0, greatest(0.0, (0.4 - f.shared_prompt_share) / 0.3))",
        "{value:.0f} other harvesting organisation(s) run the same prompt template, each with its own payloads (percentile {percentile:.0%})",
        "other organisations with harvesting content that share a main template",
    ),
    Indicator(
        "rate_limit_pressure",
        "rate_limits",
        "f.limited_share - peer.med_limited",
        # Hitting the limit again and again while linked accounts carry the same load.
        "least(1.0, greatest(0.0, (v - 0.01) / 0.04))"
        " * CASE WHEN coalesce(cf.size, 1) >= 2 THEN 1.0 ELSE 0.0 END",
        "{value:.1%} more of its requests are rate-limited than its peers', with linked accounts beside it (percentile {percentile:.0%})",
        "share of rate-limited requests above the peer median",
    ),
    Indicator(
        "relay_heterogeneity",
        "coordination",
        "CASE WHEN f.n >= 20 THEN (1 - f.end_user_share) * least(1.0, (greatest(f.n_ua, 1) + greatest(f.n_sys, 1) + greatest(f.n_client_countries, 1) - 3) / (3.0 * greatest(peer.p90_hetero, 2))) END",
        # Countries count as clients' only where the traffic does not come through residential
        # proxies or VPNs: a lone user behind rotating exits shows many countries, one client.
        ramp(0.5, 0.9),
        "traffic as varied as many different clients, with no end-user ids ({value:.2f}, percentile {percentile:.0%})",
        "client/system-prompt/country variety without end-user ids, relative to peers",
    ),
    # -- exculpatory ----------------------------------------------------------------------
    Indicator(
        "public_benchmark_share",
        "exculpatory",
        _share("bench"),
        ramp(0.2, 0.6),
        "{value:.0%} of prompts follow public benchmark templates",
        "share of prompts in public benchmark formats",
        True,
    ),
    Indicator(
        "contract_flags",
        "exculpatory",
        "CASE WHEN list_has_any(f.contract_flags, ['synthetic_data_ok', 'eval_partner', 'research_partner']) THEN 1.0 "
        "WHEN list_contains(f.contract_flags, 'reseller') AND f.end_user_share >= 0.5 THEN 1.0 ELSE 0.0 END",
        "v",
        "has a contract that covers this use",
        "contract flags (synthetic data, evaluation, research partner, reseller with end-user ids)",
    ),
    Indicator(
        "kyb_verified",
        "exculpatory",
        # Verified, and every account linked to it is its own: nothing about who sends is
        # hidden. Campaigns spread their accounts over many organisations.
        "CASE WHEN NOT f.kyb THEN 0.0 WHEN coalesce(cf.orgs, 1) = 1 THEN 1.0 ELSE 0.4 END",
        "v",
        "the organisation passed know-your-business checks",
        "KYB verified (full weight when every linked account belongs to the same organisation)",
    ),
)

BY_NAME = {ind.name: ind for ind in CATALOGUE}


def peers(con: duckdb.DuckDBPyConnection) -> None:
    """``peer``: per peer group, the medians and ceilings indicators compare against."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE peer AS
        SELECT peer_group,
               median(out_in) AS med_out_in,
               median(single_turn) AS med_single_turn,
               median(thinking_share) AS med_thinking,
               median(limited_share) AS med_limited,
               median(n) AS med_n,
               median(fresh_share) FILTER (WHERE n_prompts > 0) AS med_fresh,
               median(cohort_accts) AS med_cohort,
               quantile_cont(greatest(n_ua, 1) + greatest(n_sys, 1) + greatest(n_client_countries, 1) - 3, 0.9) AS p90_hetero,
               -- a ceiling needs enough peers to be one
               CASE WHEN count(*) >= 20 THEN max(peak_day) END AS ceiling_day,
               CASE WHEN count(*) >= 20 THEN max(peak_minute) END AS ceiling_minute
        FROM features GROUP BY peer_group
        """
    )


def fresh_volumes(con: duckdb.DuckDBPyConnection) -> None:
    """``f_fresh``: per account, its one-shot prompts no other account sent beyond its peers'
    share, relative to the peer median request count (``own``), and the same summed over its
    linked accounts where they send more of them than their peers (``linked``)."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_fresh AS
        WITH o AS (
            SELECT f.account_id, c.root,
                   (f.fresh_share - peer.med_fresh)
                     * f.n / greatest(peer.med_n, 1) AS own
            FROM features f JOIN peer USING (peer_group) LEFT JOIN clusters c USING (account_id)
            WHERE f.n_prompts > 0
        )
        SELECT o.account_id, o.own, l.linked
        FROM o LEFT JOIN (
            SELECT root, sum(greatest(own, 0.0)) AS linked FROM o
            WHERE root IS NOT NULL GROUP BY root
        ) l USING (root)
        """
    )


def compute(con: duckdb.DuckDBPyConnection, *, has_text: bool = True) -> list[str]:
    """``ind``: per account, ``<name>_v``, ``<name>_s`` and ``<name>_p`` for every indicator.

    Indicators that stand in for the prompt text (``hash_only``) stay unmeasured (NULL)
    where the text is there, but where their ``with_text`` condition holds.
    """
    peers(con)
    fresh_volumes(con)
    values = ",\n".join(f"({_measured(ind, has_text)}) AS {ind.name}_v" for ind in CATALOGUE)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE ind_v AS
        SELECT f.account_id, f.peer_group, c.root, {values}
        FROM features f
        LEFT JOIN peer USING (peer_group)
        LEFT JOIN clusters c USING (account_id)
        LEFT JOIN f_cluster cf ON cf.root = c.root
        LEFT JOIN f_tshare ts USING (account_id)
        LEFT JOIN f_campaign fc USING (account_id)
        LEFT JOIN f_fleet fl USING (account_id)
        LEFT JOIN f_fresh fx USING (account_id)
        LEFT JOIN f_shards sh USING (account_id)
        """
    )
    cols = []
    for ind in CATALOGUE:
        strength = _bind(ind)
        cols.append(f"coalesce({strength}, 0.0) AS {ind.name}_s")
        cols.append(
            f"CASE WHEN i.{ind.name}_v IS NULL THEN NULL ELSE cume_dist() OVER "
            f"(PARTITION BY i.peer_group, i.{ind.name}_v IS NULL ORDER BY i.{ind.name}_v) END AS {ind.name}_p"
        )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE ind AS
        SELECT i.*, {", ".join(cols)}
        FROM ind_v i JOIN features f USING (account_id)
        LEFT JOIN f_cluster cf ON cf.root = i.root
        LEFT JOIN f_tshare ts USING (account_id)
        CROSS JOIN content_floor fl
        """
    )
    return [ind.name for ind in CATALOGUE]


def _measured(ind: Indicator, has_text: bool) -> str:
    """The indicator's value SQL, or NULL where it stands in for text that is present."""
    if not (ind.hash_only and has_text):
        return ind.value
    if ind.with_text is None:
        return "NULL::DOUBLE"
    return f"CASE WHEN {ind.with_text} THEN {ind.value} END"


def _bind(ind: Indicator) -> str:
    """The strength expression with ``v`` bound to the indicator's value column."""
    import re

    return re.sub(r"\bv\b", f"i.{ind.name}_v", ind.strength)
