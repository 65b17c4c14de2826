"""Account linking: a graph whose edges are shared evidence tokens, and its clusters.

Tokens are facts two accounts can share: a payment fingerprint, a sign-up IP on one day,
a system prompt or prompt template that carries most of their traffic, the hour they
started sending, the hour they were created on one sign-up path, a source IP, and, where
the prompt text is absent, membership of a group of shards alike far beyond peers. A token
shared by very many accounts (a campus NAT, a popular open-source agent's prompt, a proxy
exit) says little about any pair, so its weight falls with its degree.

Two accounts are linked by one strong token (payment, sign-up IP/day) or by two tokens of
*different* groups held together (for instance a template and a creation cohort): a
popular prompt alone never links developers who merely use the same tool. A template or a
system prompt does link on its own when its holders act as one operator's crew (like daily
quotas, see ``concerted``): then the quotas are the second, independent fact, and the
cluster does not depend on the payment or sign-up data a source may not export. Clusters are the
connected components of the linked graph (label propagation in SQL, so it scales with the
engine); each cluster keeps the smallest set of tokens that connects all its members.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ircli.analysis import shards

if TYPE_CHECKING:
    import duckdb

# kind → (group, base weight). Order follows DESIGN §7: payment > sign-up IP/day > rare
# system prompt > synchronisation > near-duplicate templates > creation cohort.
TOKEN_KINDS: dict[str, tuple[str, float]] = {
    "payment": ("identity", 1.0),
    "signup_ip_day": ("identity", 0.8),
    "system_prompt": ("content", 0.6),
    "activation": ("timing", 0.5),
    "template": ("content", 0.4),
    "curriculum": ("content", 0.7),
    "cohort": ("identity", 0.3),
    "src_ip": ("infrastructure", 0.3),
    "fleet": ("infrastructure", 0.7),
    "rhythm": ("timing", 0.2),
    "shards": ("economics", 0.7),
}

DISCOUNT_FROM = 20  # tokens shared by at most this many accounts keep their full weight
LINK_THRESHOLD = 0.7
FULL_LIFT = 8  # a pair seen 8x more often than its parts' popularity predicts counts fully
# A curriculum token escapes the popularity discount when it reads as one operator's shards:
# nearly every account that sends mostly through the template harvests with it through
# payloads no one else sends, and their daily volumes are far more alike than peers' are.
CONCERT_PURITY = 0.9
CONCERT_SPREAD = 0.5  # members' spread of log daily volume at most this share of peers'
# A system prompt's holders read as a crew only from this many: the chance that this many
# people, drawn with their peers' spread of volumes, fall within half of it is about 2%.
CREW_FROM = 10
MAX_ROUNDS = 60

KIND_WORDS = {
    "payment": "share a payment fingerprint",
    "signup_ip_day": "signed up from the same IP on the same day",
    "system_prompt": "send most traffic under the same system prompt",
    "activation": "started sending in the same hour",
    "template": "send most traffic through the same prompt template",
    "curriculum": "walk disjoint payloads through the same harvesting prompt template",
    "cohort": "were created in the same hour on the same sign-up path",
    "src_ip": "send most traffic from the same source IP",
    "fleet": "send from the same small set of servers",
    "rhythm": "keep the same working rhythm (hours, daily volume, turns)",
    "shards": (
        "send one-shot prompts no one else sends, alike in volume and token sizes far"
        " beyond their peers"
    ),
}


@dataclass
class ClusterEvidence:
    """One token of a cluster's minimal evidence set."""

    kinds: list[str]
    token: str
    accounts: int
    weight: float
    examples: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        words = " and ".join(KIND_WORDS.get(k, k) for k in self.kinds)
        return {
            "kind": "+".join(self.kinds),
            "token": self.token,
            "accounts": self.accounts,
            "weight": round(self.weight, 3),
            "examples": self.examples,
            "reason": f"{self.accounts} accounts {words}",
        }


@dataclass
class Cluster:
    """A community of linked accounts."""

    cluster_id: str
    accounts: list[str]
    evidence: list[ClusterEvidence] = field(default_factory=list)


def _weight_sql(kind_col: str, deg_col: str) -> str:
    return f"{_full_weight(kind_col)} * {_discount(deg_col)}"


def _full_weight(kind_col: str) -> str:
    cases = " ".join(f"WHEN '{k}' THEN {w}" for k, (_, w) in TOKEN_KINDS.items())
    return f"(CASE {kind_col} {cases} ELSE 0 END)"


def _discount(deg_col: str) -> str:
    # Full weight up to DISCOUNT_FROM accounts or 2% of all accounts, whichever is more
    # (a token shared by 2% of a lab's customers is still rare); then it falls with log degree.
    full = f"greatest({DISCOUNT_FROM}, 0.02 * (SELECT count(*) FROM f_base))"
    return f"least(1.0, ln({full}) / ln(greatest({deg_col}, 2)))"


def build_tokens(con: duckdb.DuckDBPyConnection) -> None:
    """``tokens(account_id, kind, tok)``: every shareable fact of every account."""
    groups = " ".join(f"WHEN '{k}' THEN '{g}'" for k, (g, _) in TOKEN_KINDS.items())
    # Main source addresses first, in a pass of their own: inside the token query below the
    # engine would group the addresses once for each use of the token list.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE acct_main_ip AS
        WITH tot AS (
            SELECT account_id, sum(n) AS tot FROM acct_ip WHERE src_ip IS NOT NULL GROUP BY 1
        )
        SELECT a.account_id, a.src_ip FROM acct_ip a JOIN tot USING (account_id)
        WHERE a.src_ip IS NOT NULL AND a.n >= 0.3 * tot.tot
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE tokens AS
        WITH start AS (SELECT min(ts) AS t0 FROM rq),
        raw AS (
            SELECT account_id, 'payment' AS kind, payment_fingerprint AS tok
            FROM acct WHERE payment_fingerprint IS NOT NULL
            UNION ALL
            -- A day's sign-ups from a campus's or an office's address are an institution
            -- onboarding its people (a class, a team): a cohort, not one hand behind them.
            SELECT a.account_id,
                   CASE WHEN i.signup_ip_institution THEN 'cohort' ELSE 'signup_ip_day' END,
                   a.signup_ip || '@' || strftime(a.created_at, '%Y-%m-%d')
            FROM acct a JOIN f_ident i USING (account_id)
            WHERE a.signup_ip IS NOT NULL AND a.created_at IS NOT NULL
            UNION ALL
            SELECT s.account_id, 'system_prompt', s.sph
            FROM acct_sys s JOIN f_base b USING (account_id) WHERE s.n >= 0.3 * b.n
            UNION ALL
            -- A template is a curriculum where the account harvests with it and sends payloads
            -- no one else sends: a shard of one data set, not a tool many people use.
            SELECT t.account_id,
                   CASE WHEN (h.worded OR h.shaped)
                             AND coalesce(o.shared_prompt_share, 0.0) < 0.3
                        THEN 'curriculum' ELSE 'template' END,
                   CAST(t.key AS VARCHAR)
            FROM acct_tmpl t JOIN f_content c USING (account_id)
            JOIN f_shape h USING (account_id)
            LEFT JOIN f_overlap o USING (account_id)
            WHERE t.n >= 0.15 * c.n_text AND c.mean_len >= 48
            UNION ALL
            SELECT account_id, 'cohort',
                   strftime(created_at, '%Y-%m-%dT%H') || '/' || coalesce(signup_path, '')
            FROM acct WHERE created_at IS NOT NULL
            UNION ALL
            -- activation: accounts already active when the evidence starts say nothing
            SELECT account_id, 'activation', strftime(first_ts, '%Y-%m-%dT%H')
            FROM f_base, start WHERE first_ts >= start.t0 + INTERVAL 1 DAY
            UNION ALL
            SELECT account_id, 'src_ip', src_ip FROM acct_main_ip
            UNION ALL
            -- fleet: traffic spread over the same few servers. One address may carry too little
            -- of it to count above; the same set of several data-centre addresses is rarer than
            -- any one. Only hosting networks: people share NAT, mobile and proxy exits by chance.
            SELECT account_id, 'fleet', string_agg(src_ip, ',' ORDER BY src_ip) FROM (
                SELECT account_id, src_ip, n_hosting AS c,
                       sum(n_hosting) OVER (PARTITION BY account_id) AS tot,
                       count(*) OVER (PARTITION BY account_id) AS k
                FROM acct_ip WHERE src_ip IS NOT NULL AND n_hosting > 0
            ) WHERE c >= 0.02 * tot AND k BETWEEN 2 AND 16
            GROUP BY account_id HAVING count(*) >= 2
            UNION ALL
            -- rhythm: round-the-clock or not, daily volume (powers of two), one-shot or not;
            -- common on its own, telling only when paired with something rarer
            SELECT account_id, 'rhythm',
                   (CASE WHEN n_hours_of_day >= 18 THEN 'clock' ELSE 'day' END) || '/'
                   || CAST(floor(log2(greatest(n / greatest(n_days, 1), 1))) AS VARCHAR) || '/'
                   || CAST(round(single_turn) AS VARCHAR)
            FROM features WHERE n >= 10
        ), deg AS (
            SELECT kind, tok, count(DISTINCT account_id) AS deg FROM raw GROUP BY ALL
        )
        SELECT DISTINCT raw.account_id, raw.kind, raw.tok, deg.deg,
               CASE raw.kind {groups} END AS grp
        FROM raw JOIN deg USING (kind, tok) WHERE deg.deg >= 2
        """
    )
    # The addresses were read for the last time: at incident size, with proxy pools, they
    # hold millions of rows that the later passes need the memory for.
    con.execute("DROP TABLE IF EXISTS acct_ip")
    concerted(con)
    shards.alike_shards(con, _leiden)
    shared_fleets(con)


def shared_fleets(con: duckdb.DuckDBPyConnection) -> None:
    """``f_fleet(account_id, fleet_orgs)``: organisations sending from the account's servers.

    A business runs its pipelines on its own servers, over its own accounts: one
    organisation. The same set of data-centre addresses sending for several organisations is
    one operator behind them (a relay reselling access, a campaign's workers), and it is a
    fact of infrastructure, which no rewording of the prompts changes.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_fleet AS
        WITH orgs AS (
            SELECT t.tok, count(DISTINCT coalesce(a.org_id, t.account_id)) AS n
            FROM tokens t LEFT JOIN acct a USING (account_id)
            WHERE t.kind = 'fleet' GROUP BY t.tok
        )
        SELECT t.account_id, max(orgs.n) AS fleet_orgs
        FROM tokens t JOIN orgs USING (tok) WHERE t.kind = 'fleet' GROUP BY t.account_id
        """
    )


def concerted(con: duckdb.DuckDBPyConnection) -> None:
    """``concerted(kind, tok)``: curriculum templates and system prompts that read as one
    operator's crew, not a tool. They escape the popularity discount and link on their own,
    as do the groups of shards :func:`shards.alike_shards` adds (each passed its own
    likeness test against peers).

    A popular template is discounted because independent people share it. One data set
    split over many accounts is shared too, by construction, and differs in two ways that
    follow from how it is made: everyone who sends mostly through the template harvests
    with it through payloads no one else sends (a tool's users also converse and ask what
    others ask), and the operator hands out like quotas, so the members' daily volumes are
    much more alike than accounts' at large (people's usage spans orders of magnitude).
    Both are measured against the token's other users and against all active accounts,
    not against constants of one world. A system prompt carries no payloads, so only the
    quota test applies: a popular agent's default prompt is held by people whose volumes
    vary as people's do, an operator's by accounts run to one plan.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE concerted AS
        WITH rate AS (
            SELECT account_id, ln(n / greatest(n_days, 1)) AS r FROM features WHERE n >= 10
        ), peers AS (SELECT stddev_pop(r) AS sd FROM rate),
        cur AS (
            SELECT DISTINCT account_id, kind, tok FROM tokens
            WHERE kind IN ('curriculum', 'system_prompt') AND deg >= 3
        ), heavy AS (
            -- every account that sends at least as much of its text through the template as
            -- a curriculum token asks of its holders
            SELECT CAST(t.key AS VARCHAR) AS tok, count(*) AS users
            FROM acct_tmpl t JOIN f_content c USING (account_id)
            WHERE t.n >= 0.15 * c.n_text AND CAST(t.key AS VARCHAR) IN (SELECT tok FROM cur)
            GROUP BY 1
        ), spread AS (
            SELECT cur.kind, cur.tok, count(*) AS members, stddev_pop(rate.r) AS sd
            FROM cur JOIN rate USING (account_id) GROUP BY cur.kind, cur.tok
        )
        SELECT spread.kind, spread.tok FROM spread LEFT JOIN heavy USING (tok), peers
        WHERE (CASE spread.kind WHEN 'system_prompt' THEN spread.members >= {CREW_FROM}
                   ELSE spread.members >= {CONCERT_PURITY} * heavy.users END)
          AND spread.sd <= {CONCERT_SPREAD} * peers.sd
        """
    )


def rhythm_modes(con: duckdb.DuckDBPyConnection) -> None:
    """``rhythm_modes(mode, accounts)`` and ``rhythm_holders(kind, tok, mode, holders)``: how
    many accounts converse each way (one-shot or in conversations, the last part of a rhythm
    token), and how many holders of each token do.

    A token that links by pairing with a rhythm is judged among accounts of the rhythm's turn
    mode: the users of a popular agent's system prompt all work in tool loops, so that some
    of them share a loop-shaped rhythm is what chance gives among loop users, not a sign of
    one operator.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE rhythm_modes AS
        SELECT split_part(tok, '/', 3) AS mode, count(DISTINCT account_id) AS accounts
        FROM tokens WHERE kind = 'rhythm' GROUP BY 1
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE rhythm_holders AS
        WITH modes AS (
            SELECT account_id, split_part(tok, '/', 3) AS mode FROM tokens WHERE kind = 'rhythm'
        )
        SELECT t.kind, t.tok, m.mode, count(DISTINCT t.account_id) AS holders
        FROM tokens t JOIN modes m USING (account_id) WHERE t.kind <> 'rhythm' GROUP BY ALL
        """
    )


def link(con: duckdb.DuckDBPyConnection) -> None:
    """``links(kinds, tok, account_id, deg, weight)``: tokens strong enough to link, with members.

    Single tokens link when their discounted weight reaches the threshold; pairs of tokens
    from different groups link when their summed discounted weight does.
    """
    rhythm_modes(con)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE links AS
        WITH single AS (
            SELECT [kind] AS kinds, kind || ':' || tok AS tok, account_id, deg,
                   CASE WHEN (kind, tok) IN (SELECT (kind, tok) FROM concerted)
                        THEN greatest({_full_weight("kind")}, {LINK_THRESHOLD})
                        ELSE {_weight_sql("kind", "deg")} END AS weight
            FROM tokens
        ), pair AS (
            SELECT [a.kind, b.kind] AS kinds,
                   a.kind || ':' || a.tok || '|' || b.kind || ':' || b.tok AS tok, a.account_id,
                   a.deg AS deg_a, b.deg AS deg_b, a.kind AS a_kind, a.tok AS a_tok,
                   CASE WHEN b.kind = 'rhythm' THEN split_part(b.tok, '/', 3) END AS b_mode,
                   {_weight_sql("a.kind", "a.deg")} + {_weight_sql("b.kind", "b.deg")} AS w0
            FROM tokens a JOIN tokens b
              ON a.account_id = b.account_id AND a.grp < b.grp
        ), pair_deg AS (
            -- A pair counts as far as its parts co-occur more than chance would make them:
            -- a popular prompt and a common rhythm meet in many accounts by themselves.
            SELECT kinds, tok, account_id, count(*) OVER (PARTITION BY tok) AS deg,
                   w0, deg_a, deg_b, a_kind, a_tok, b_mode
            FROM pair
        ), pair_chance AS (
            -- A rhythm's turn mode follows from the application (an agent's prompt means tool
            -- loops, a template one-shot requests): chance is reckoned among the accounts that
            -- converse the same way, the other part's holders among them included.
            SELECT p.*, coalesce(m.accounts, (SELECT count(*) FROM f_base)) AS base,
                   coalesce(am.holders, p.deg_a) AS deg_a_mode
            FROM pair_deg p
            LEFT JOIN rhythm_modes m ON m.mode = p.b_mode
            LEFT JOIN rhythm_holders am
              ON am.kind = p.a_kind AND am.tok = p.a_tok AND am.mode = p.b_mode
            WHERE p.deg >= 2
        ), pair_w AS (
            SELECT kinds, tok, account_id, deg,
                   w0 * {_discount("deg")}
                      * least(1.0, greatest(0.0, ln(deg * base
                                                     / (deg_a_mode * deg_b)::DOUBLE) / ln({FULL_LIFT})))
                   AS weight
            FROM pair_chance
        )
        SELECT kinds, tok, account_id, deg, weight FROM single WHERE weight >= {LINK_THRESHOLD}
        UNION ALL
        SELECT kinds, tok, account_id, deg, weight FROM pair_w WHERE weight >= {LINK_THRESHOLD}
        """
    )


def components(con: duckdb.DuckDBPyConnection) -> None:
    """``clusters(account_id, root)``: connected components by min-label propagation."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE edges AS
        WITH hub AS (SELECT tok, min(account_id) AS hub FROM links GROUP BY tok)
        SELECT DISTINCT l.account_id AS a, hub.hub AS b FROM links l JOIN hub USING (tok)
        WHERE l.account_id <> hub.hub
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE lab AS
        SELECT a AS account_id, a AS root FROM edges UNION SELECT b, b FROM edges
        """
    )
    for _ in range(MAX_ROUNDS):
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE lab2 AS
            WITH nb AS (
                SELECT e.a AS account_id, l.root FROM edges e JOIN lab l ON l.account_id = e.b
                UNION ALL
                SELECT e.b, l.root FROM edges e JOIN lab l ON l.account_id = e.a
                UNION ALL
                SELECT account_id, root FROM lab
            )
            SELECT account_id, min(root) AS root FROM nb GROUP BY account_id
            """
        )
        changed = con.execute(
            "SELECT count(*) FROM lab2 JOIN lab USING (account_id) WHERE lab2.root <> lab.root"
        ).fetchall()[0][0]
        con.execute("CREATE OR REPLACE TEMP TABLE lab AS SELECT * FROM lab2")
        # Pointer jumping: take the root's root, which halves chains each round.
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE lab AS
            SELECT l.account_id, coalesce(r.root, l.root) AS root
            FROM lab l LEFT JOIN lab r ON r.account_id = l.root
            """
        )
        if changed == 0:
            break
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE clusters AS
        WITH sized AS (SELECT root, count(*) AS size FROM lab GROUP BY root)
        SELECT lab.account_id, lab.root, sized.size FROM lab JOIN sized USING (root)
        WHERE sized.size >= 2
        """
    )


COMMUNITY_FROM = 20  # components at least this large are split into communities
RESOLUTION = 0.05  # coarse: split only where a few bridging tokens join dense groups


def communities(con: duckdb.DuckDBPyConnection) -> None:
    """Split large components into communities (Leiden on the account–token graph).

    A connected component can hang together by one bridging token: two campaigns that
    happen to start in the same hour with a common system prompt. Modularity keeps dense
    groups together and cuts such bridges; small components are left as they are.
    """
    rows = con.execute(
        f"""
        SELECT c.root, l.tok, l.account_id, l.weight
        FROM links l JOIN clusters c USING (account_id)
        WHERE c.size >= {COMMUNITY_FROM}
        ORDER BY c.root, l.tok, l.account_id
        """
    ).fetchall()
    graphs: dict[str, list[tuple[str, str, float]]] = {}
    for root, tok, account, weight in rows:
        graphs.setdefault(root, []).append(("a:" + account, "t:" + tok, float(weight)))
    moves: list[tuple[str, str]] = []
    for edges in graphs.values():
        groups = [sorted(n[2:] for n in c if n.startswith("a:")) for c in _leiden(edges)]
        groups = [g for g in groups if g]
        if len(groups) < 2:
            continue
        for group in groups:
            moves.extend((account, group[0]) for account in group)
    if not moves:
        return
    # Two list parameters unnested side by side: one statement, not one insert per account.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE moves AS "
        "SELECT unnest(?::VARCHAR[]) AS account_id, unnest(?::VARCHAR[]) AS root",
        [[a for a, _ in moves], [r for _, r in moves]],
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE clusters AS
        WITH lab AS (
            SELECT c.account_id, coalesce(m.root, c.root) AS root
            FROM clusters c LEFT JOIN moves m USING (account_id)
        ), sized AS (SELECT root, count(*) AS size FROM lab GROUP BY root)
        SELECT lab.account_id, lab.root, sized.size FROM lab JOIN sized USING (root)
        WHERE sized.size >= 2
        """
    )


_SEEDED = threading.Lock()


def _leiden(edges: list[tuple[str, str, float]], resolution: float = RESOLUTION) -> list[list[str]]:
    """Communities of one weighted graph given as (node, node, weight) edges, in a fixed order.

    Leiden, Louvain's refinement, in C (igraph), maximising the same modularity at the same
    resolution: networkx's pure-Python Louvain took half a minute on the components of a
    16M-request incident, and Leiden never leaves a community internally disconnected. It
    is iterated until no move improves the partition. Nodes are numbered in sorted order and
    its random choices come from a generator seeded here, so the same graph always gives
    the same communities whatever else in the process uses random numbers.
    """
    import random

    import igraph

    nodes = sorted({n for a, b, _ in edges for n in (a, b)})
    index = {n: i for i, n in enumerate(nodes)}
    graph = igraph.Graph(n=len(nodes), edges=[(index[a], index[b]) for a, b, _ in edges])
    graph.es["weight"] = [w for _, _, w in edges]
    # igraph has one random generator per process: two analyses at once (the TUI runs them
    # in workers) take turns, so neither draws from the other's seeded sequence.
    with _SEEDED:
        igraph.set_random_number_generator(random.Random(0))
        try:
            found = graph.community_leiden(
                objective_function="modularity",
                weights="weight",
                resolution=resolution,
                n_iterations=-1,
            )
        finally:
            igraph.set_random_number_generator(random)
    return [[nodes[i] for i in members] for members in found]


def cluster_id(root: str) -> str:
    """A stable cluster id: the same members' smallest account id gives the same id."""
    return "CL-" + hashlib.sha256(root.encode()).hexdigest()[:10]


def minimal_evidence(
    con: duckdb.DuckDBPyConnection, *, examples: int = 5
) -> dict[str, list[ClusterEvidence]]:
    """Per cluster root: a greedy smallest set of linking tokens that covers every member."""
    rows = con.execute(
        """
        SELECT c.root, l.tok, any_value(l.kinds), max(l.weight), list(l.account_id ORDER BY l.account_id)
        FROM links l JOIN clusters c USING (account_id)
        GROUP BY c.root, l.tok
        ORDER BY c.root, l.tok
        """
    ).fetchall()
    # Ordered, so that among equally good tokens the same one is chosen on every run (and
    # the same evidence always gives the same result, hash and analysis id).
    by_root: dict[str, list[tuple[str, list[str], float, list[str]]]] = {}
    for root, tok, kinds, weight, members in rows:
        if len(members) >= 2:
            by_root.setdefault(root, []).append((tok, list(kinds), float(weight), list(members)))
    out: dict[str, list[ClusterEvidence]] = {}
    for root, toks in by_root.items():
        uncovered = {m for _, _, _, members in toks for m in members}
        chosen: list[ClusterEvidence] = []
        # Greedy set cover, strongest evidence first among equally useful tokens.
        while uncovered:
            best = max(toks, key=lambda t: (len(uncovered.intersection(t[3])), t[2]))
            gain = uncovered.intersection(best[3])
            if not gain:
                break
            uncovered -= gain
            chosen.append(
                ClusterEvidence(best[1], _short(best[0]), len(best[3]), best[2], best[3][:examples])
            )
            if len(chosen) >= 12:
                break
        out[root] = chosen
    return out


def _short(tok: str) -> str:
    # Tokens hold hashes and IPs; keep them matchable but bounded in size.
    return tok if len(tok) <= 120 else tok[:117] + "..."
