"""Per-account measurements, as SQL over the canonical tables (DuckDB dialect, portable shapes).

Each function adds one temp table keyed by ``account_id``; :mod:`ircli.analysis.indicators`
turns the columns into indicators. Only aggregates, joins and one ordered window are used,
so each statement maps onto a distributed engine (Spark SQL, ClickHouse) unchanged in shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ircli.analysis import patterns

if TYPE_CHECKING:
    import duckdb


SAMPLE = 96  # prompts per account that the content patterns read (at most, about)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """``rqw``: requests with a numeric time; ``acct``: accounts, one row each."""
    con.execute(
        """
        CREATE OR REPLACE TEMP VIEW rqw AS
        SELECT account_id, ts, epoch(ts) AS t, org_id, src_ip, asn_type, country, user_agent,
               endpoint, model, system_prompt_hash, tools_hash, input_tokens, output_tokens,
               thinking_tokens, n_messages, stop_reason, end_user_id, status
        FROM requests
        """
    )
    # Accounts deduplicated; accounts seen only in requests still get a row.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE acct AS
        SELECT * FROM accounts
        QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY created_at NULLS LAST) = 1
        """
    )


def load_requests(con: duckdb.DuckDBPyConnection) -> None:
    """``rq``: the request columns most later passes read, loaded once; ``acct_ph``: each
    account's distinct prompts; ``f_prompts``: how many.

    ``rq`` holds one prompt fingerprint per request (hash, else text) so that later passes
    neither re-read nor re-hash the prompts, the widest columns of the logs. It is built
    after the passes over the raw requests so that they have the memory to themselves.
    """
    # Loading step, specific to the local engine: account ids and model names become
    # dictionary types, so grouping, sorting and joining on them costs what a small integer
    # does while they still read and compare as text (sorted, so min() and ORDER BY agree
    # with the text's order). The table takes about 24 bytes a request.
    con.execute(
        "CREATE TYPE acct_key AS ENUM "
        "(SELECT DISTINCT account_id FROM requests WHERE account_id IS NOT NULL ORDER BY 1)"
    )
    con.execute(
        "CREATE TYPE model_key AS ENUM "
        "(SELECT DISTINCT model FROM requests WHERE model IS NOT NULL ORDER BY 1)"
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE rq_lean AS
        SELECT account_id::acct_key AS account_id, ts, model::model_key AS model,
               hash(coalesce(prompt_hash, prompt_text)) AS ph
        FROM requests
        """
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW rq AS "
        "SELECT account_id, ts, epoch(ts) AS t, model, ph FROM rq_lean"
    )
    # Prompt breadth, overlap between accounts, first use of a prompt and duplicates
    # inside clusters all read this instead of every request.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE acct_ph AS
        SELECT account_id, ph, count(*) AS n, min(ts) AS first_ts FROM rq GROUP BY ALL
        """
    )
    # acct_ph has one row per account and distinct prompt: counting rows counts them exactly.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_prompts AS
        SELECT account_id, count(ph) AS n_prompts, sum(n) FILTER (WHERE ph IS NOT NULL) AS n_ph
        FROM acct_ph GROUP BY ALL
        """
    )


def content(con: duckdb.DuckDBPyConnection, *, text: bool) -> None:
    """Content: what prompts ask for, and how concentrated their templates are.

    Template keys are the first and the last 32 characters of the prompt with digits
    folded: an extraction template keeps one end fixed while the payload varies, so
    one key dominates an account's traffic while its prompts stay distinct.
    """
    if not text:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE f_content AS
            SELECT account_id, 0 AS n_text, 0 AS cot, 0 AS lang, 0 AS judge, 0 AS rewrite,
                   0 AS bench, 0 AS coding, 0 AS harvest, NULL::DOUBLE AS mean_len, 0.0 AS top_template_share
            FROM rqw GROUP BY account_id
            """
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE acct_tmpl AS SELECT ''::VARCHAR AS account_id, "
            "0::UBIGINT AS key, 0 AS n WHERE false"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE acct_wrap AS SELECT ''::VARCHAR AS account_id, "
            "0::UBIGINT AS pk, 0::UBIGINT AS sk, 0 AS n WHERE false"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE tmpl_ph AS SELECT ''::VARCHAR AS account_id, "
            "0::UBIGINT AS key, 0::UBIGINT AS ph WHERE false"
        )
        return
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE ak AS
        WITH x AS (
            -- Content shares are proportions: a deterministic sample of about SAMPLE prompts
            -- per account estimates them well, and keeps the regex work bounded by the number
            -- of accounts rather than of requests. Instructions sit at the ends of a prompt;
            -- long pasted payloads (documents, tool output) in the middle only cost time.
            SELECT r.account_id, hash(coalesce(r.prompt_hash, r.prompt_text)) AS ph,
                   lower(CASE WHEN length(r.prompt_text) > 600
                              THEN left(r.prompt_text, 400) || chr(10) || right(r.prompt_text, 200)
                              ELSE r.prompt_text END) AS p
            FROM requests r JOIN f_base b ON b.account_id = r.account_id
            WHERE r.prompt_text IS NOT NULL
              AND (b.n <= {SAMPLE} OR hash(r.request_id) % 1000003 < 1000003 * {SAMPLE} / b.n)
        ), y AS (
            -- Templates and re-runs repeat whole prompts: each distinct text is read once.
            SELECT p,
                   regexp_matches(p, {_lit(patterns.COT_ELICITATION)}) AS cot,
                   regexp_matches(p, {_lit(patterns.LANGUAGE_COERCION)}) AS lang,
                   regexp_matches(p, {_lit(patterns.RUBRIC_JUDGE)}) AS judge,
                   -- the topic is only looked for where a rewrite is asked for
                   CASE WHEN regexp_matches(p, {_lit(patterns.SAFE_REWRITE)})
                        THEN regexp_matches(p, {_lit(patterns.SENSITIVE_TOPIC)})
                        ELSE false END AS rewrite,
                   regexp_matches(p, {_lit(patterns.PUBLIC_BENCHMARK)}) AS bench,
                   regexp_matches(p, {_lit(patterns.CODING)}) AS coding,
                   length(p) AS len,
                   hash('p', regexp_replace(left(p, 32), '[0-9]+', '#', 'g')) AS pk,
                   hash('s', regexp_replace(right(p, 32), '[0-9]+', '#', 'g')) AS sk
            FROM (SELECT DISTINCT p FROM x)
        )
        SELECT account_id, pk, sk, ph, count(*) AS n,
               sum(cot::INT) AS cot, sum(lang::INT) AS lang, sum(judge::INT) AS judge,
               sum(rewrite::INT) AS rewrite, sum(bench::INT) AS bench, sum(coding::INT) AS coding,
               sum((cot OR judge OR lang OR rewrite)::INT) AS harvest, sum(len) AS len
        FROM x JOIN y USING (p) GROUP BY account_id, pk, sk, ph
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE acct_tmpl AS
        SELECT account_id, key, sum(n) AS n FROM (
            SELECT account_id, pk AS key, n FROM ak UNION ALL SELECT account_id, sk AS key, n FROM ak
        ) GROUP BY account_id, key
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_content AS
        WITH c AS (
            SELECT account_id, sum(n) AS n_text, sum(cot) AS cot, sum(lang) AS lang,
                   sum(judge) AS judge, sum(rewrite) AS rewrite, sum(bench) AS bench,
                   sum(coding) AS coding, sum(harvest) AS harvest,
                   sum(len)::DOUBLE / sum(n) AS mean_len
            FROM ak GROUP BY account_id
        ), top AS (
            SELECT account_id, max(n) AS top_n
            FROM acct_tmpl GROUP BY account_id
        )
        SELECT c.*, top.top_n::DOUBLE / c.n_text AS top_template_share
        FROM c JOIN top USING (account_id)
        """
    )
    # Each sampled prompt's two ends, kept for the wrappers a cluster shares (coordination).
    con.execute(
        "CREATE OR REPLACE TEMP TABLE acct_wrap AS "
        "SELECT account_id, pk, sk, sum(n) AS n FROM ak GROUP BY ALL"
    )
    # The sampled prompts sent through each account's main templates: whether a template's
    # prompts are split between accounts or the same ones asked by all (coordination).
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE tmpl_ph AS
        SELECT DISTINCT k.account_id, k.key, k.ph FROM (
            SELECT account_id, pk AS key, ph FROM ak UNION ALL SELECT account_id, sk, ph FROM ak
        ) k JOIN acct_tmpl t USING (account_id, key) JOIN f_content c USING (account_id)
        WHERE t.n >= 0.15 * c.n_text AND k.ph IS NOT NULL
        """
    )
    con.execute("DROP TABLE ak")


def behaviour(con: duckdb.DuckDBPyConnection) -> None:
    """Economics, infrastructure mix and relay shape, in one pass over the requests.

    Distinct counts are exact and cheap: hours of the day as a 24-bit set, and countries
    and user agents from ``acct_seen``, one row per account, country and user agent (a few
    per account), which also gives the share of traffic from outside the billing country
    without joining every request to its account. Days and system prompts are counted
    from the groupings that need them anyway (``f_rate``, ``acct_sys``). The median is
    exact: a t-digest per account took ten times its memory (over 400 MB at 40k accounts),
    twice its time, and its result depended on the order threads finished in.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_base_raw AS
        SELECT account_id,
               count(*) AS n,
               any_value(org_id) AS req_org,
               min(ts) AS first_ts, max(ts) AS last_ts,
               -- UTC hours by arithmetic on the epoch: the same values as hour(ts), without
               -- zoned calendar work per row; the set of them as bits of one integer
               bit_count(bit_or(1::UINTEGER << (epoch_us(ts) // 3600000000 % 24)::UINTEGER))
                 AS n_hours_of_day,
               median(output_tokens::DOUBLE / greatest(input_tokens, 1)) AS out_in,
               -- typical sizes on a log scale (answers taken, context sent): what an
               -- operator's tooling fixes for every account it runs
               avg(ln(output_tokens)) FILTER (WHERE output_tokens > 0) AS log_out,
               avg(ln(input_tokens)) FILTER (WHERE input_tokens > 0) AS log_in,
               avg(CASE WHEN coalesce(n_messages, 1) <= 1 THEN 1.0 ELSE 0.0 END) AS single_turn,
               sum(coalesce(thinking_tokens, 0))::DOUBLE
                 / greatest(sum(output_tokens + coalesce(thinking_tokens, 0)), 1) AS thinking_share,
               avg(CASE WHEN asn_type IN ('resproxy', 'vpn') THEN 1.0 ELSE 0.0 END) AS proxy_share,
               avg(CASE WHEN end_user_id IS NULL THEN 0.0 ELSE 1.0 END) AS end_user_share,
               avg(CASE WHEN endpoint = 'batch' THEN 1.0 ELSE 0.0 END) AS batch_share,
               avg(CASE WHEN stop_reason = 'rate_limited' OR status = 429
                        THEN 1.0 ELSE 0.0 END) AS limited_share,
               avg(CASE WHEN tools_hash IS NOT NULL THEN 1.0 ELSE 0.0 END) AS tools_share
        FROM rqw GROUP BY account_id
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE acct_seen AS
        SELECT account_id, country,
               CASE WHEN user_agent IS NOT NULL THEN hash(user_agent) END AS ua,
               coalesce(asn_type IN ('resproxy', 'vpn'), false) AS via_proxy, count(*) AS n
        FROM rqw GROUP BY ALL
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_base AS
        WITH seen AS (
            SELECT s.account_id,
                   count(DISTINCT s.country) AS n_countries,
                   -- countries a proxy's exits do not choose: where the clients themselves are
                   count(DISTINCT s.country) FILTER (WHERE NOT s.via_proxy) AS n_client_countries,
                   count(DISTINCT s.ua) AS n_ua,
                   sum(CASE WHEN s.country IS NOT NULL AND a.billing_country IS NOT NULL
                             AND s.country <> a.billing_country THEN s.n ELSE 0 END)::DOUBLE
                     / sum(s.n) AS geo_mismatch
            FROM acct_seen s LEFT JOIN acct a ON a.account_id = s.account_id
            GROUP BY s.account_id
        )
        SELECT b.*, seen.* EXCLUDE (account_id)
        FROM f_base_raw b LEFT JOIN seen USING (account_id)
        """
    )
    con.execute("DROP TABLE f_base_raw")
    con.execute("DROP TABLE acct_seen")


def overlap(con: duckdb.DuckDBPyConnection) -> None:
    """``f_overlap``: share of an account's requests whose prompt some other account sent too.

    A curriculum split between accounts is disjoint by construction; people using the same
    tool or course ask the same things. ``acct_shared`` keeps each account's prompts that
    another account sent too (usually few rows): the sharding measure of clusters reads it.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE acct_shared AS
        WITH shared AS (
            SELECT ph FROM acct_ph WHERE ph IS NOT NULL GROUP BY ph HAVING count(*) > 1
        )
        SELECT account_id, ph, n FROM acct_ph SEMI JOIN shared USING (ph)
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_overlap AS
        -- per request: requests of shared prompts against all requests with a prompt
        WITH s AS (SELECT account_id, sum(n) AS n FROM acct_shared GROUP BY account_id)
        SELECT p.account_id, coalesce(s.n, 0)::DOUBLE / p.n_ph AS shared_prompt_share
        FROM f_prompts p LEFT JOIN s USING (account_id) WHERE p.n_ph > 0
        """
    )


def timing(con: duckdb.DuckDBPyConnection) -> None:
    """Automation regularity (spread of gaps between requests) and rate profile.

    Both come from one ordering of each account's requests. Most minutes of an account
    hold one request, so grouping every request by its minute made nearly as many groups
    as requests. In time order the requests of a minute are neighbours: only those sharing
    their minute with a neighbour are grouped, and the single-request minutes are counted
    as the rest (``n - sum(c)``). The 90th percentile of requests per minute is then read
    off that distribution as ``quantile_cont`` would read it off the full list.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE timing AS
        WITH w AS (
            SELECT account_id, t - lag(t) OVER o AS gap, epoch_us(ts) // 60000000 AS minute,
                   lag(epoch_us(ts) // 60000000) OVER o AS prev_m,
                   lead(epoch_us(ts) // 60000000) OVER o AS next_m
            FROM rq WINDOW o AS (PARTITION BY account_id ORDER BY t)
        )
        -- one row per account (whole), and one per minute holding two requests or more
        SELECT account_id, grouping(mk) = 1 AS whole, mk AS minute, count(*) AS c,
               avg(gap) AS gap_mean, stddev_pop(gap) AS gap_sd
        FROM (
            SELECT *, CASE WHEN minute = prev_m OR minute = next_m THEN minute END AS mk FROM w
        )
        GROUP BY GROUPING SETS ((account_id), (account_id, mk))
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_timing AS
        SELECT account_id, gap_mean, gap_sd FROM timing WHERE whole AND c >= 2
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_rate AS
        WITH busy AS (
            SELECT account_id, list(c ORDER BY c) AS cs, sum(c) AS s
            FROM timing WHERE NOT whole AND minute IS NOT NULL GROUP BY account_id
        ), dist AS (
            -- each account's requests per active minute, in ascending order: k ones
            -- (single-request minutes), then the busy minutes' counts
            SELECT w.account_id, (w.c - coalesce(b.s, 0))::BIGINT AS k, coalesce(b.cs, []) AS cs,
                   (w.c - coalesce(b.s, 0) + len(coalesce(b.cs, [])) - 1) * 0.9 AS h
            FROM timing w LEFT JOIN busy b USING (account_id) WHERE w.whole
        ), q AS (
            SELECT account_id, k, cs, h,
                   CASE WHEN floor(h) < k THEN 1 ELSE cs[floor(h)::BIGINT - k + 1] END AS lo,
                   CASE WHEN ceil(h) < k THEN 1 ELSE cs[ceil(h)::BIGINT - k + 1] END AS hi
            FROM dist
        ), d AS (
            SELECT account_id, epoch_us(ts) // 86400000000 AS day, count(*) AS c
            FROM rq_lean GROUP BY ALL
        ), dm AS (
            SELECT account_id, max(c) AS peak_day, avg(c) AS mean_day,
                   stddev_pop(c) / greatest(avg(c), 1) AS day_cv, count(*) AS n_days
            FROM d GROUP BY account_id
        )
        SELECT q.account_id,
               CASE WHEN len(q.cs) > 0 THEN q.cs[-1] ELSE 1 END AS peak_minute,
               (q.lo + (q.h - floor(q.h)) * (q.hi - q.lo))::DOUBLE AS p90_minute,
               dm.peak_day, dm.mean_day, dm.day_cv, dm.n_days
        FROM q JOIN dm USING (account_id)
        """
    )
    con.execute("DROP TABLE timing")


def shape(con: duckdb.DuckDBPyConnection) -> None:
    """``f_shape``: whether an account's traffic reads as harvesting, by words or by shape.

    ``worded``: a good share of its prompts ask for reasoning, grading, thinking in a given
    language or safe rewrites (the lexicon). ``shaped``: its exchanges have the shape of
    extraction whatever their words: one-shot requests, each with a payload no other account
    sends, taking more output than it sends and no less per input token than the median
    account. People converse and ask what others ask; pipelines that extract fields or
    grades take short answers.
    """
    # What ordinary accounts already send of each class the lexicon knows: the lower
    # quartile over accounts with some text. Where people often ask for steps or reasons,
    # that is their baseline, not harvesting; campaigns, however many, stay above it.
    floors = ", ".join(
        f"coalesce(quantile_cont({k} / n_text, 0.25), 0.0) AS {k}"
        for k in ("cot", "lang", "judge", "rewrite", "harvest")
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE content_floor AS "
        f"SELECT {floors} FROM f_content WHERE n_text >= 10"
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_shape AS
        WITH s AS (
            SELECT b.account_id, b.out_in, coalesce(c.mean_len, 0) AS mean_len,
                   coalesce(c.cot >= (0.25 + fl.cot) * c.n_text OR c.judge >= (0.25 + fl.judge) * c.n_text
                            OR c.lang >= (0.15 + fl.lang) * c.n_text
                            OR c.rewrite >= (0.15 + fl.rewrite) * c.n_text, false)
                     AS worded,
                   -- what the hashes alone show of the shape: one-shot requests, each with a
                   -- payload no other account sends (the economics are a group's, see shards)
                   b.n >= 20 AND b.single_turn >= 0.8
                     AND coalesce(o.shared_prompt_share, 0.0) < 0.3 AS fresh_stream
            FROM f_base b LEFT JOIN f_content c USING (account_id)
            LEFT JOIN f_overlap o USING (account_id), content_floor fl
        )
        SELECT account_id, worded, fresh_stream,
               fresh_stream AND mean_len >= 48
                 AND out_in >= greatest(1.0, (SELECT median(out_in) FROM f_base)) AS shaped
        FROM s
        """
    )


def lifecycle(con: duckdb.DuckDBPyConnection, *, releases: bool) -> None:
    """Model-release pivot with replay: first use of a new model soon after launch, re-sending
    prompts the account had already sent to an older model.

    Without a releases table, a model whose first request comes a day or more after the
    start of the evidence is taken as released at that first request.
    """
    if releases:
        # Only launches inside the evidence window can be pivoted to while we watch.
        rel = """
            SELECT model, min(released_at) AS released_at FROM releases GROUP BY model
            HAVING min(released_at) > (SELECT min(ts) FROM rq)
        """
    else:
        rel = """
            SELECT model, min(ts) AS released_at FROM rq GROUP BY model
            HAVING min(ts) > (SELECT min(ts) FROM rq) + INTERVAL 1 DAY
        """
    con.execute(f"CREATE OR REPLACE TEMP TABLE rel AS {rel}")
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_life AS
        WITH moved AS (
            -- accounts that used a new model, and the first launch they moved to, found
            -- from the requests again: cheaper than keeping every row of x to read it twice,
            -- and a grouping rather than a window over the rows kept
            SELECT r.account_id, min(rel.released_at) AS moved_at
            FROM rq r JOIN rel ON r.model = rel.model
            WHERE r.ts >= rel.released_at GROUP BY r.account_id
        ), x AS (
            SELECT r.account_id, r.ph, r.ts, rel.released_at, m.moved_at,
                   rel.model IS NOT NULL AND r.ts >= rel.released_at AS is_new
            FROM rq r JOIN moved m ON m.account_id = r.account_id
            LEFT JOIN rel ON r.model = rel.model
        ), y AS (
            -- first_seen is the prompt's first time from this account, kept in acct_ph
            SELECT x.*, p.first_ts AS first_seen
            FROM x JOIN (SELECT * FROM acct_ph WHERE account_id IN (SELECT account_id FROM moved)) p
              ON p.account_id = x.account_id AND p.ph = x.ph
        )
        -- Replay is a change of behaviour at the pivot: the share of new-model requests
        -- re-sending a prompt from before the release, against how often the account
        -- repeated itself on older models anyway (people re-ask; harvesters re-run).
        SELECT account_id,
               count(*) FILTER (WHERE is_new) AS n_new,
               min(epoch(ts) - epoch(released_at)) FILTER (WHERE is_new) / 3600.0 AS pivot_delay_h,
               count(*) FILTER (WHERE is_new) AS new_prompts,
               avg(CASE WHEN first_seen < released_at THEN 1.0 ELSE 0.0 END)
                   FILTER (WHERE is_new) AS replay_new,
               coalesce(avg(CASE WHEN ts > first_seen THEN 1.0 ELSE 0.0 END)
                   FILTER (WHERE NOT is_new), 0.0) AS repeat_old,
               -- traffic since the release it moved to: where the window ends soon after a
               -- launch, the switch shows against this, not against all traffic
               count(*) FILTER (WHERE ts >= moved_at) AS n_since
        FROM y GROUP BY account_id
        """
    )


def addresses(con: duckdb.DuckDBPyConnection) -> None:
    """``acct_ip``: per account and source address, its requests, those from a hosting
    network, and whether it showed on a network where many people share one address.

    Shared-network addresses, each account's main addresses and its server fleet all read
    this instead of grouping every request by its address once for each of them.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE acct_ip AS
        SELECT account_id, src_ip, count(*) AS n,
               count(*) FILTER (WHERE asn_type = 'hosting') AS n_hosting,
               bool_or(asn_type IN ('edu', 'mobile', 'business')) AS shared_net,
               bool_or(asn_type IN ('edu', 'business')) AS institution_net
        FROM rqw GROUP BY account_id, src_ip
        """
    )


def identity(con: duckdb.DuckDBPyConnection) -> None:
    """Sign-up and payment facts, with how many other accounts share each of them."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_ident AS
        WITH nat AS (
            -- addresses the requests show on networks where many people share one IP
            SELECT DISTINCT src_ip FROM acct_ip WHERE shared_net
        ), institution AS (
            -- ... and of those, a campus's or an office's: where institutions onboard their
            -- people together (mobile carriers' shared addresses also carry proxy exits)
            SELECT DISTINCT src_ip FROM acct_ip WHERE institution_net
        ), pay AS (
            SELECT payment_fingerprint, count(*) AS accts,
                   count(DISTINCT coalesce(org_id, account_id)) AS orgs
            FROM acct WHERE payment_fingerprint IS NOT NULL GROUP BY 1
        ), sip AS (
            SELECT signup_ip, date_trunc('day', created_at) AS d, count(*) AS accts
            FROM acct WHERE signup_ip IS NOT NULL GROUP BY ALL
        ), sip_all AS (
            SELECT signup_ip, count(*) AS accts FROM acct WHERE signup_ip IS NOT NULL GROUP BY 1
        ), cohort AS (
            SELECT date_trunc('hour', created_at) AS h, signup_path, count(*) AS accts
            FROM acct WHERE created_at IS NOT NULL GROUP BY ALL
        )
        SELECT a.account_id, a.org_id, a.created_at, a.signup_path, a.tier, a.email_domain,
               coalesce(a.kyb_verified, false) AS kyb,
               coalesce(a.contract_flags, []::VARCHAR[]) AS contract_flags,
               coalesce(pay.orgs, 1) AS pay_orgs, coalesce(pay.accts, 1) AS pay_accts,
               coalesce(sip.accts, 1) AS sip_day_accts, coalesce(sip_all.accts, 1) AS sip_accts,
               coalesce(cohort.accts, 1) AS cohort_accts,
               a.signup_ip IN (SELECT src_ip FROM nat) AS signup_ip_shared_net,
               a.signup_ip IN (SELECT src_ip FROM institution) AS signup_ip_institution
        FROM acct a
        LEFT JOIN pay ON pay.payment_fingerprint = a.payment_fingerprint
        LEFT JOIN sip ON sip.signup_ip = a.signup_ip AND sip.d = date_trunc('day', a.created_at)
        LEFT JOIN sip_all ON sip_all.signup_ip = a.signup_ip
        LEFT JOIN cohort ON cohort.h = date_trunc('hour', a.created_at)
             AND cohort.signup_path IS NOT DISTINCT FROM a.signup_path
        """
    )
    # System prompts: the share of an account's traffic under its main system prompt and
    # how many accounts use that prompt (popular prompts are discounted, rare ones count).
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE acct_sys AS
        SELECT account_id, system_prompt_hash AS sph, count(*) AS n
        FROM rqw WHERE system_prompt_hash IS NOT NULL GROUP BY ALL
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE f_sys AS
        WITH deg AS (
            -- organisations, not accounts: one customer's accounts share its deployment's prompt
            SELECT s.sph, count(DISTINCT coalesce(a.org_id, s.account_id)) AS orgs
            FROM acct_sys s LEFT JOIN acct a USING (account_id) GROUP BY s.sph
        ),
        main AS (
            SELECT account_id, arg_max(sph, n) AS sph, count(*) AS n_sys FROM acct_sys GROUP BY 1
        )
        SELECT main.account_id, deg.orgs AS sph_orgs, main.n_sys
        FROM main JOIN deg USING (sph)
        """
    )


def build(con: duckdb.DuckDBPyConnection, *, text: bool, releases: bool) -> None:
    """Run every measurement and join them into ``features`` (one row per account)."""
    prepare(con)
    behaviour(con)
    content(con, text=text)
    load_requests(con)
    timing(con)
    overlap(con)
    shape(con)
    lifecycle(con, releases=releases)
    addresses(con)
    identity(con)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE features AS
        SELECT b.*, c.* EXCLUDE (account_id), tm.* EXCLUDE (account_id),
               rt.* EXCLUDE (account_id), l.* EXCLUDE (account_id),
               i.* EXCLUDE (account_id), s.* EXCLUDE (account_id, n_sys),
               coalesce(s.n_sys, 0) AS n_sys,
               coalesce(o.shared_prompt_share, 0.0) AS shared_prompt_share, p.n_prompts,
               -- one-shot requests with prompts no other account sent, as a share
               (1 - coalesce(o.shared_prompt_share, 0.0)) * b.single_turn AS fresh_share,
               coalesce(i.org_id, b.req_org) AS org,
               coalesce(i.tier, 'unknown') AS peer_group
        FROM f_base b
        LEFT JOIN f_content c USING (account_id)
        LEFT JOIN f_timing tm USING (account_id)
        LEFT JOIN f_rate rt USING (account_id)
        LEFT JOIN f_life l USING (account_id)
        LEFT JOIN f_ident i USING (account_id)
        LEFT JOIN f_sys s USING (account_id)
        LEFT JOIN f_overlap o USING (account_id)
        LEFT JOIN f_prompts p USING (account_id)
        """
    )
