"""Slow-and-low shards in hash-only logs: one curriculum split over many quiet accounts.

Where the prompt text is absent no template shows the curriculum, and the shards share no
identity (own organisations, cards, home addresses). What shows follows from how the split
is made; see :func:`alike_shards`. The groups found become ``shards`` tokens of the
linking graph (:mod:`ircli.analysis.linking`) and back the ``alike_shards`` coordination
indicator.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

Leiden = Callable[..., list[list[str]]]

# Where the prompt text is absent, shards are found by their likeness: accounts sending
# fresh one-shot prompts whose volume and token sizes all lie within this share of the
# peers' spread of one another (see ``alike_shards``).
ALIKE_RADIUS = 0.5
MIN_SHARDS = 3  # a group of look-alikes this large is no coincidence of two
# Coarse first (below modularity's own scale, 1.0): cut the few pairs bridging two groups
# of look-alikes, not one operator's large group into parts; finer only where a part
# still mixes groups.
SPLIT_RESOLUTIONS = (0.3, 0.6)
# Each measure of a group spreads at most this share of the peers' (as for a curriculum
# read as one operator's, see ``linking.concerted``).
ALIKE_SPREAD = 0.5


# Measures on which one operator's shards are alike: daily volume, answer and context sizes
# (log scale), which its tooling and quotas set. (The share of output spent thinking is
# set too, but read off a few dozen requests it is too noisy to show it.)
_ALIKE_DIMS = (
    "ln(n / greatest(n_days, 1))",
    "log_out",
    "log_in",
)


def alike_shards(con: duckdb.DuckDBPyConnection, leiden: Leiden) -> None:
    """``shards`` tokens: accounts without prompt text that read as one curriculum's shards;
    ``f_shards``: per member, its group's size and share of unshared prompts.

    What remains of the split without text follows from how it is made: each account sends
    one-shot prompts no other account sends (its own shard, disjoint from the others'), and
    the operator's tooling and quotas make the accounts alike in daily volume and in answer
    and context sizes, far more than customers are (people's usage spans orders of
    magnitude). An application naming its own end users on most requests is serving people,
    however fresh its prompts; accounts with text are left to the template tokens, which
    read the curriculum itself.

    So accounts of that shape are neighbours when every measure lies within
    ``ALIKE_RADIUS`` of the peers' spread (all active accounts) of one another. A connected
    group of neighbours is kept when it has at least ``MIN_SHARDS`` members, each of its
    measures spreads at most ``ALIKE_SPREAD`` of the peers' (a chain of look-alikes
    drifting across the population does not: it is split where few neighbour pairs bridge
    dense groups, and each part judged), and as a body it takes harvesting economics: more
    output than input (a customer's extraction pipeline over its own keys takes short
    answers). It must span as many organisations as it needs members: one customer's own
    keys working alike are its product. Identity outranks likeness: a member sharing its
    card or sign-up address with accounts outside the group belongs to their operation and
    leaves it.
    """
    n_dims = len(_ALIKE_DIMS)
    dims = ", ".join(f"{d} AS d{k}" for k, d in enumerate(_ALIKE_DIMS))
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE alike_peer AS
        WITH m AS (
            SELECT {dims} FROM features
            WHERE n >= 10 AND log_out IS NOT NULL AND log_in IS NOT NULL
        )
        SELECT {", ".join(f"coalesce(nullif(stddev_pop(d{k}), 0), 1e-9) AS s{k}" for k in range(n_dims))}
        FROM m
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE alike_cand AS
        SELECT m.*, {", ".join(f"d{k} / sd.s{k} AS z{k}" for k in range(n_dims))}
        FROM (
            SELECT f.account_id, f.out_in, {dims}
            FROM features f JOIN f_shape h USING (account_id) JOIN f_content c USING (account_id)
            WHERE h.fresh_stream AND coalesce(c.n_text, 0) = 0
              -- an app naming the end users it serves on most requests is serving people
              AND f.end_user_share < 0.5
              AND f.log_out IS NOT NULL AND f.log_in IS NOT NULL
        ) m, alike_peer sd
        """
    )
    zs = ", ".join(f"z{k}" for k in range(n_dims))
    cells = ", ".join(f"floor(z{k} / {ALIKE_RADIUS})::BIGINT AS c{k}" for k in range(n_dims))
    offsets = ", ".join(f"range(-1, 2) o{k}(x)" for k in range(n_dims))
    near = " AND ".join(
        f"q.c{k} = p.c{k} + o{k}.x AND abs(q.z{k} - p.z{k}) <= {ALIKE_RADIUS}"
        for k in range(n_dims)
    )
    pairs = con.execute(
        f"""
        WITH p AS (SELECT account_id, {zs}, {cells} FROM alike_cand)
        SELECT p.account_id, q.account_id
        FROM p, {offsets}, p AS q
        WHERE {near} AND p.account_id < q.account_id
        ORDER BY 1, 2  -- the same evidence, the same split (and the same analysis id)
        """
    ).fetchall()
    rows = con.execute(
        f"SELECT account_id, out_in, {', '.join(f'd{k}' for k in range(n_dims))} FROM alike_cand"
    ).fetchall()
    measures = {r[0]: r[1:] for r in rows}
    peer_sd = con.execute("SELECT * FROM alike_peer").fetchall()[0]

    def concerted_group(members: list[str]) -> bool:
        if len(members) < MIN_SHARDS:
            return False
        cols = list(zip(*(measures[m] for m in members), strict=True))
        spreads = [statistics.pstdev(float(x) for x in col) for col in cols[1:]]
        # Harvesting takes more than it sends: an operator's tooling may pack long
        # contexts, so no more is asked of the ratio than that.
        return statistics.median(float(x) for x in cols[0]) >= 1.0 and all(
            s <= ALIKE_SPREAD * p for s, p in zip(spreads, peer_sd, strict=True)
        )

    groups = _groups(pairs)
    group_of = {m: root for root, members in groups.items() for m in members}
    inside: dict[str, list[tuple[str, str, float]]] = {}
    for a, b in pairs:
        inside.setdefault(group_of[a], []).append((a, b, 1.0))

    def resolve(members: list[str], edges: list[tuple[str, str, float]], level: int) -> None:
        if concerted_group(members):
            kept.extend((m, members[0]) for m in members)
            return
        if len(members) < 2 * MIN_SHARDS or level >= len(SPLIT_RESOLUTIONS):
            return  # too small to hold two groups, or split as finely as it goes
        # Look-alikes chained groups together (a campaign's edge touching another's, two
        # operators' tooling a little apart): split where few neighbour pairs bridge dense
        # groups, and judge each part, more finely where a part still mixes them.
        parts = [sorted(p) for p in leiden(edges, resolution=SPLIT_RESOLUTIONS[level])]
        if len(parts) == 1:
            resolve(members, edges, level + 1)
            return
        part_of = {m: i for i, part in enumerate(parts) for m in part}
        for i, part in enumerate(parts):
            resolve(part, [e for e in edges if part_of[e[0]] == i == part_of[e[1]]], level + 1)

    kept: list[tuple[str, str]] = []
    for root, members in groups.items():
        resolve(members, inside.get(root, []), 0)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE alike_kept AS "
        "SELECT unnest(?::VARCHAR[]) AS account_id, unnest(?::VARCHAR[]) AS tok",
        [[a for a, _ in kept], [t for _, t in kept]],
    )
    # Identity outranks likeness: an account whose card or sign-up address it shares with
    # accounts outside its group of look-alikes belongs to their operation (a harvesting
    # fleet whose economics happen to resemble these shards), not to this group.
    con.execute(
        f"""
        INSERT INTO tokens
        WITH elsewhere AS (
            SELECT DISTINCT k.account_id
            FROM alike_kept k JOIN tokens t USING (account_id)
            JOIN tokens o ON o.kind = t.kind AND o.tok = t.tok AND o.account_id <> t.account_id
            LEFT JOIN alike_kept ko ON ko.account_id = o.account_id AND ko.tok = k.tok
            WHERE t.kind IN ('payment', 'signup_ip_day') AND ko.account_id IS NULL
        ), k AS (
            SELECT * FROM alike_kept WHERE account_id NOT IN (SELECT account_id FROM elsewhere)
        ), sized AS (
            -- named by its smallest remaining member, like a cluster
            SELECT k.account_id, min(k.account_id) OVER (PARTITION BY k.tok) AS tok,
                   count(*) OVER (PARTITION BY k.tok) AS deg,
                   count(DISTINCT f.org) OVER (PARTITION BY k.tok) AS orgs
            FROM k JOIN features f USING (account_id)
        )
        -- across organisations, as many as a group needs accounts: one customer's own keys
        -- working alike are its product, not a campaign
        SELECT account_id, 'shards', tok, deg, 'economics' FROM sized
        WHERE deg >= {MIN_SHARDS} AND orgs >= {MIN_SHARDS}
        """
    )
    # Each group passed its likeness test against peers: it escapes the popularity discount
    # as the linking graph's other concerted tokens do.
    con.execute("INSERT INTO concerted SELECT DISTINCT kind, tok FROM tokens WHERE kind = 'shards'")
    # Per account, its group of shards: how many, and how much of their traffic is prompts
    # no other account sent (disjoint shards), for the coordination indicator. Measured on the group rather than the cluster: shards linked
    # to other campaigns' accounts by other evidence are still shards.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_shards AS
        WITH g AS (
            SELECT t.tok, count(*) AS size, median(1 - f.shared_prompt_share) AS fresh
            FROM tokens t JOIN features f USING (account_id) WHERE t.kind = 'shards'
            GROUP BY t.tok
        )
        SELECT t.account_id, max(g.size) AS shard_size, max(g.fresh) AS shard_fresh
        FROM tokens t JOIN g USING (tok) WHERE t.kind = 'shards' GROUP BY t.account_id
        """
    )


def _groups(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Connected groups of the neighbour pairs, by smallest member, each member list sorted."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    out: dict[str, list[str]] = {}
    for x in sorted(parent):
        out.setdefault(find(x), []).append(x)
    return out
