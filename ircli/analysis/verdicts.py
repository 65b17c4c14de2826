"""Verdicts: family scores and the two-family rule (DESIGN §7).

* ``alert`` — content evidence (what is asked, how it is templated, what it costs, how it
  moves with model releases) backed by identity/infrastructure or coordination evidence,
  with nothing exculpatory.
* ``policy`` — accounts balancing load just under rate limits without distillation content:
  abuse, but not this kind.
* ``watch`` — one family alone, or an alert that exculpatory evidence holds back.
* ``clear`` — nothing of note.

Content alone never alerts: that is what keeps contracted synthetic-data customers and
evaluation labs (content-identical to harvesting) off the termination list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from ircli.analysis.indicators import CATALOGUE, FAMILIES

ALERT_AT = 0.5
VERDICTS = ("alert", "watch", "policy", "clear")


@dataclass(frozen=True, slots=True)
class Judgement:
    """An account's verdict with the family scores behind it."""

    verdict: str
    score: float
    families: dict[str, float]
    content: float
    backing: float
    exculpatory: float


# Indicators that corroborate their family but cannot carry it alone: a fixed template
# with varied payloads is also how batch ETL, bulk generation and agent tools look, and
# most API traffic is single-turn.
CORROBORATING = {"template_breadth", "single_turn_share"}


@cache
def _members(family: str) -> tuple[str, ...]:
    # Looked up twice per account: scanning the catalogue each time cost more than judging.
    return tuple(i.name for i in CATALOGUE if i.family == family)


def family_scores(strengths: Mapping[str, float]) -> dict[str, float]:
    """Per family: the strongest indicator, plus a little for a second independent one."""
    out: dict[str, float] = {}
    for family in FAMILIES:
        if family in ("content", "economics"):
            lead = [strengths.get(n, 0.0) for n in _members(family) if n not in CORROBORATING]
            extra = [strengths.get(n, 0.0) for n in CORROBORATING if n in _members(family)]
            top = max(lead, default=0.0)
            out[family] = min(
                1.0, top + 0.25 * max(extra, default=0.0) * (1.0 if top >= 0.2 else 0.0)
            )
        elif family == "lifecycle":
            # A pivot alone is what evaluation labs and eager developers do; with replay of
            # old prompts it is harvesting.
            out[family] = strengths.get("release_pivot", 0.0) * strengths.get("release_replay", 0.0)
        elif family == "rate_limits":
            # Either sign of working the rate limits is enough for the policy question.
            out[family] = max((strengths.get(n, 0.0) for n in _members(family)), default=0.0)
        else:
            out[family] = _top_and_second(strengths.get(n, 0.0) for n in _members(family))
    return out


def _top_and_second(strengths: Iterable[float]) -> float:
    """A family's score: its strongest indicator, plus a quarter of the next strongest."""
    values = sorted(strengths, reverse=True)
    top = values[0] if values else 0.0
    second = values[1] if len(values) > 1 else 0.0
    return min(1.0, top + 0.25 * second)


# Identity facts an account has on its own: how it reaches us (a VPN, a foreign exit) and
# how it signed up (a trial, a burst of sign-ups on its path). Either kind alone is ordinary
# for privacy-minded, travelling or curious people. For an account linked to nobody they back
# content evidence only together (concealed access from an account born in a sign-up burst,
# as far as the weaker of the two goes), or when concealed access carries little but
# harvesting: people mix their requests, a harvesting script does not.
ACCESS = ("proxy_share", "geo_inconsistency")
SIGNUP = ("creation_cohort", "trial_signup")
UNMIXED = 0.9  # the content family near its top: harvesting is most of what it sends


def judge(
    strengths: Mapping[str, float],
    *,
    has_text: bool,
    cluster_content: float = 0.0,
    text_withheld: bool = False,
    linked: bool = True,
    cluster_economics: float = 0.0,
) -> Judgement:
    """Apply the two-family rule to one account's indicator strengths.

    ``text_withheld`` marks an account whose prompt text is absent while others' is present
    (zero data retention, privacy opt-outs): its content is unobserved rather than clean, so
    the content its linked accounts show stands for it (``cluster_content``, measured on
    members whose text is present).
    """
    fam = family_scores(strengths)
    economics = fam["economics"]
    own = max(fam["content"], fam["lifecycle"])
    # Economics corroborates what the text shows; where the text is absent or phrased in a
    # way no pattern knows, the token economics of harvesting (long outputs and thinking
    # for short inputs) still carry the content family, discounted.
    content = min(1.0, own + 0.3 * economics) if own >= 0.2 else own
    # Economics alone stays below an alert, and below a watch: heavy writers and thinkers
    # are common. Where the text is absent its hashes stand in for it (``fresh_one_shot``,
    # in the content family), so harvesting economics still add to what they show.
    content = max(content, 0.45 * economics)
    if linked and economics >= 0.2:
        # Unless the linked accounts, as a body, take harvesting economics too: a heavy
        # writer is one person, a fleet that all take long answers to short one-shot prompts
        # is making a data set, in whatever words its prompts are phrased.
        content = max(content, 0.8 * cluster_economics)
    # Filler traffic dilutes an account's own shares; its cluster's content still counts.
    if own >= 0.2 or text_withheld or (content >= 0.2 and not has_text):
        # Diluted, not absent: an account with no content signal of its own is not lifted
        # by the company it is linked to. Unobserved is not absent, though. Where its text
        # is read and shows nothing, its own economics (a heavy thinker, a long writer) do
        # not count as a diluted signal: linked to a campaign by a popular prompt and a
        # common rhythm, such a user would take the campaign's content as its own.
        content = max(content, cluster_content)
    identity = fam["identity"]
    if not linked:
        shared = [
            strengths[n]
            for n in _members("identity")
            if n in strengths and n not in ACCESS + SIGNUP
        ]
        access = max(strengths.get(n, 0.0) for n in ACCESS)
        signup = max(strengths.get(n, 0.0) for n in SIGNUP)
        # ... or concealed access carrying prompts that harvest through and through.
        signup = max(signup, 1.0 if fam["content"] >= UNMIXED else 0.0)
        identity = max(max(shared, default=0.0), min(access, signup))
    # Pressing against rate limits is the policy question, not evidence of harvesting: one
    # verified customer's heavy pipeline spread over its own keys looks just the same. Those
    # indicators are a family of their own, which never backs an alert.
    backing = max(identity, fam["coordination"])
    if backing >= ALERT_AT:
        # Machine timing strengthens other backing evidence but never stands in for it:
        # it raises the score, never carries weak backing (a trial sign-up) over the line.
        backing = min(1.0, backing + 0.2 * fam["timing"])
    exculpatory = fam["exculpatory"]
    balancing = fam["rate_limits"]
    score = round(content * backing * (1.0 - exculpatory), 4)
    if content >= ALERT_AT and backing >= ALERT_AT and exculpatory < ALERT_AT:
        verdict = "alert"
    elif balancing >= ALERT_AT and content < ALERT_AT and exculpatory < ALERT_AT:
        verdict = "policy"
        score = round(balancing * (1.0 - exculpatory), 4)
    elif content >= ALERT_AT or (backing >= ALERT_AT and content >= 0.25):
        verdict = "watch"
    else:
        verdict = "clear"
    return Judgement(verdict, score, fam, content, backing, exculpatory)
