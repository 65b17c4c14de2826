"""Cluster-level coordination measurements: what a group of linked accounts does together.

These need the clusters from :mod:`ircli.analysis.linking`, so they run after it. Each
compares the cluster with an independence baseline of itself (not with a constant), so a
large benign group such as a campus does not look coordinated merely because it is large.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


def shared_templates(con: duckdb.DuckDBPyConnection) -> None:
    """``f_tshare``: how many *other harvesting* organisations run this account's templates.

    One curriculum split across many accounts shows as one template carrying a good part
    of each account's traffic, with the payloads differing. A popular tool's template is
    shared too, but by accounts whose content is not harvesting (in words or in shape,
    ``f_shape``): only templates whose users are mostly harvesting count.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_tshare AS
        WITH h AS (
            SELECT s.account_id, s.worded OR s.shaped AS harvesting,
                   coalesce(f.org, s.account_id) AS org
            FROM f_shape s LEFT JOIN features f USING (account_id)
        ), use AS (
            SELECT t.account_id, t.key FROM acct_tmpl t JOIN f_content c USING (account_id)
            -- a handful of prompts shows no template, only common phrasing
            WHERE t.n >= 0.15 * c.n_text AND c.mean_len >= 48 AND c.n_text >= 10
        ), tk AS (
            -- organisations, not accounts: one customer's keys running its own tool are one
            SELECT use.key, count(*) AS users, count(*) FILTER (WHERE h.harvesting) AS harvesters,
                   count(DISTINCT h.org) FILTER (WHERE h.harvesting) AS harvester_orgs
            FROM use JOIN h USING (account_id) GROUP BY use.key
        )
        SELECT use.account_id,
               max(tk.harvester_orgs - CASE WHEN h.harvesting THEN 1 ELSE 0 END) AS template_siblings,
               max(tk.harvesters::DOUBLE / tk.users) AS template_harvest_share
        FROM use JOIN tk USING (key) JOIN h USING (account_id)
        WHERE tk.users >= 2
        GROUP BY use.account_id
        """
    )


def shared_wrappers(con: duckdb.DuckDBPyConnection) -> None:
    """``f_wrap(root, wrapper_cover)``: the share of a cluster's sampled prompts sent through
    wrappers (a fixed beginning or end of the prompt) that most of its members use.

    An extraction campaign runs one set of instructions around a stream of payloads on every
    account it owns, however those instructions are worded and however many paraphrases it
    rotates: the fixed ends recur in each member's traffic and across members. People linked
    by a shared card or address write their own prompts. Wording-free by construction: only
    whether the ends repeat counts, never what they say.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE wrap_keys AS
        WITH m AS (
            SELECT c.root, c.size, w.account_id, w.pk, w.sk, w.n
            FROM acct_wrap w JOIN clusters c USING (account_id)
        ), ends AS (
            -- an end recurring in one member's own traffic is a wrapper, not a coincidence
            SELECT root, any_value(size) AS size, account_id, key FROM (
                SELECT root, size, account_id, pk AS key, n FROM m
                UNION ALL SELECT root, size, account_id, sk AS key, n FROM m
            ) GROUP BY root, account_id, key HAVING sum(n) >= 2
        )
        SELECT root, key FROM ends GROUP BY root, key
        HAVING count(*) >= greatest(3, 0.5 * any_value(size))
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_wrap AS
        WITH m AS (
            SELECT c.root, w.account_id, w.pk, w.sk, w.n
            FROM acct_wrap w JOIN clusters c USING (account_id)
        )
        SELECT m.root,
               sum(CASE WHEN a.key IS NOT NULL OR b.key IS NOT NULL THEN m.n ELSE 0 END)::DOUBLE
                 / sum(m.n) AS wrapper_cover
        FROM m LEFT JOIN wrap_keys a ON a.root = m.root AND a.key = m.pk
               LEFT JOIN wrap_keys b ON b.root = m.root AND b.key = m.sk
        GROUP BY m.root
        """
    )


def campaign_wrappers(con: duckdb.DuckDBPyConnection) -> None:
    """``f_campaign(account_id, campaign_wrapper_share)``: the share of an account's sampled
    prompts sent through the wrappers of a campaign — a cluster spanning several
    organisations whose members wrap their own payloads in the same recurring ends.

    The wrappers are the campaign's fingerprint (what the Forum shares as prompt-template
    indicators): an account that sends much of its traffic through them, such as a relay
    reselling access to the campaign's operators, carries its content whatever the words.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_campaign AS
        WITH src AS (
            SELECT c.root FROM clusters c JOIN acct a USING (account_id)
            JOIN f_wrap w USING (root) JOIN f_shard s USING (root)
            WHERE c.size >= 3 AND w.wrapper_cover * (1 - s.dup_share) >= 0.6
            GROUP BY c.root HAVING count(DISTINCT coalesce(a.org_id, a.account_id)) >= 3
        ), keys AS (
            SELECT DISTINCT k.key FROM wrap_keys k JOIN src USING (root)
        )
        SELECT w.account_id,
               sum(CASE WHEN a.key IS NOT NULL OR b.key IS NOT NULL THEN w.n ELSE 0 END)::DOUBLE
                 / sum(w.n) AS campaign_wrapper_share
        FROM acct_wrap w LEFT JOIN keys a ON a.key = w.pk LEFT JOIN keys b ON b.key = w.sk
        GROUP BY w.account_id
        """
    )


def build(con: duckdb.DuckDBPyConnection) -> None:
    """``f_cluster(root, ...)``: synchronisation, sharding and shared-template measures;
    ``f_campaign``: each account's traffic through a campaign's wrappers."""
    shared_templates(con)
    shared_wrappers(con)
    # Cluster members keyed like the request table, so joining every request to its
    # cluster compares small keys instead of converting each request's key to text
    # (an account with no requests has no key and no request rows to join).
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE members AS
        SELECT TRY_CAST(account_id AS acct_key) AS account_id, root FROM clusters
        """
    )
    # Synchronisation: per active account-hour, how many other members are active in that
    # same hour, against what their activity spread over the cluster's span would give.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_sync AS
        WITH ah AS (
            -- integer hours: they group at about half the cost of floating-point ones
            SELECT DISTINCT c.root, r.account_id, epoch_us(r.ts) // 3600000000 AS h
            FROM rq_lean r JOIN members c USING (account_id)
        ), hk AS (SELECT root, h, count(*) AS k FROM ah GROUP BY ALL),
        span AS (
            SELECT root, max(h) - min(h) + 1 AS span, count(DISTINCT account_id) AS m,
                   count(*) AS ah_total
            FROM ah GROUP BY root
        )
        SELECT hk.root,
               (sum(hk.k * (hk.k - 1))::DOUBLE / sum(hk.k))
                 / greatest(any_value(span.ah_total) * (any_value(span.m) - 1.0)
                            / any_value(span.m) / any_value(span.span), 1e-9) AS sync_ratio
        FROM hk JOIN span USING (root) GROUP BY hk.root
        """
    )
    # Sharding: members share a template, yet almost no prompt is sent by two members —
    # one curriculum split across accounts rather than many users asking the same things.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_shard AS
        WITH tm AS (
            SELECT c.root, t.key, count(DISTINCT t.account_id) AS members
            FROM acct_tmpl t JOIN clusters c USING (account_id)
            JOIN f_content fc USING (account_id)
            WHERE t.n >= 0.15 * fc.n_text GROUP BY ALL
        ), everywhere AS (
            SELECT key, count(DISTINCT account_id) AS users FROM acct_tmpl
            WHERE key IN (SELECT key FROM tm) GROUP BY key
        ), excl AS (
            -- only templates (nearly) exclusive to the cluster: a popular tool's template
            -- shared with thousands outside it is no curriculum
            SELECT tm.* FROM tm JOIN everywhere USING (key)
            WHERE everywhere.users <= 2 * tm.members
        ), pp AS (
            -- Only a prompt some two accounts sent can be sent by two members: the members'
            -- shared prompts (acct_shared has one row per account and prompt, so counting
            -- rows counts senders) ...
            SELECT c.root, r.ph, count(*) AS senders
            FROM acct_shared r JOIN members c USING (account_id) GROUP BY ALL
        ), distinct_pp AS (
            -- ... against all the cluster's distinct prompts: the members' own counts, less
            -- each prompt counted once per member beyond the first.
            SELECT c.root, sum(p.n_prompts) AS total
            FROM members c JOIN f_prompts p USING (account_id) GROUP BY c.root
        ), dup AS (
            SELECT d.root,
                   count(pp.ph) FILTER (WHERE pp.senders > 1)::DOUBLE
                     / nullif(any_value(d.total) - coalesce(sum(pp.senders - 1), 0), 0)
                     AS dup_share
            FROM distinct_pp d LEFT JOIN pp USING (root) GROUP BY d.root
        ), tdup AS (
            -- Within each shared template, the share of its (sampled) prompts that two
            -- members sent: a curriculum's shards are disjoint, a class sharing a homework
            -- template asks the same questions, however many other prompts each sends.
            SELECT e.root, e.key, any_value(e.members) AS members,
                   count(DISTINCT tp.ph) FILTER (WHERE pp.senders > 1)::DOUBLE
                     / nullif(count(DISTINCT tp.ph), 0) AS dup
            FROM excl e JOIN members c ON c.root = e.root
            JOIN tmpl_ph tp ON tp.account_id = c.account_id AND tp.key = e.key
            LEFT JOIN pp ON pp.root = e.root AND pp.ph = tp.ph
            GROUP BY e.root, e.key
        ), shared AS (
            SELECT root, max(members) AS template_members,
                   arg_max(dup, members) AS template_dup
            FROM tdup GROUP BY root
        )
        SELECT c.root, any_value(c.size) AS size,
               count(DISTINCT coalesce(a.org_id, c.account_id)) AS orgs,
               coalesce(any_value(shared.template_members), 0)::DOUBLE / any_value(c.size) AS template_cover,
               coalesce(any_value(dup.dup_share), 0.0) AS dup_share,
               coalesce(any_value(shared.template_dup), 0.0) AS template_dup
        FROM clusters c LEFT JOIN shared USING (root) LEFT JOIN dup USING (root)
        LEFT JOIN acct a ON a.account_id = c.account_id
        GROUP BY c.root
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_cluster AS
        SELECT s.root, s.size, s.orgs, s.template_cover, s.dup_share, s.template_dup,
               coalesce(y.sync_ratio, 0.0) AS sync_ratio,
               coalesce(w.wrapper_cover, 0.0) AS wrapper_cover
        FROM f_shard s LEFT JOIN f_sync y USING (root) LEFT JOIN f_wrap w USING (root)
        """
    )
    campaign_wrappers(con)
