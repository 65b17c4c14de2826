"""Raw per-account features for the leak check: fields a lab has before any detection logic."""

from __future__ import annotations

from pathlib import Path

import numpy as np

TIERS = ["free", "tier1", "tier2", "tier3", "tier4", "enterprise"]


def raw_features(world: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(X, y, names): accounts-table columns and simple request aggregates, per account.

    Deliberately *not* the designed detection signals (output/input ratio, CoT share,
    proxy share, payment sharing, timing regularity, pivots): only what any dashboard shows.
    """
    import duckdb

    con = duckdb.connect()
    rows = con.execute(
        f"""
        WITH agg AS (
            SELECT account_id, count(*) AS n, avg(input_tokens) AS mean_in,
                   avg(output_tokens) AS mean_out
            FROM '{world}/requests.parquet' GROUP BY account_id
        ), dom AS (
            SELECT email_domain, count(*) AS freq FROM '{world}/accounts.parquet' GROUP BY 1
        )
        SELECT coalesce(agg.n, 0), coalesce(agg.mean_in, 0), coalesce(agg.mean_out, 0),
               a.tier, a.signup_path, a.billing_country, dom.freq, a.kyb_verified,
               l.is_attack
        FROM '{world}/accounts.parquet' a
        JOIN '{world}/labels.parquet' l USING (account_id)
        LEFT JOIN agg USING (account_id)
        LEFT JOIN dom USING (email_domain)
        ORDER BY a.account_id
        """
    ).fetchall()
    paths = sorted({r[4] for r in rows})
    countries = sorted({r[5] for r in rows})
    names = (
        [
            "requests",
            "mean_input_tokens",
            "mean_output_tokens",
            "tier",
            "email_domain_freq",
            "kyb_verified",
        ]
        + [f"signup={p}" for p in paths]
        + [f"country={c}" for c in countries]
    )
    x = []
    for n, mi, mo, tier, path, country, freq, kyb, _ in rows:
        x.append(
            [n, mi, mo, TIERS.index(tier), freq, float(kyb)]
            + [float(path == p) for p in paths]
            + [float(country == c) for c in countries]
        )
    y = np.array([bool(r[-1]) for r in rows])
    return np.array(x, dtype=float), y, names


def leak_auc(world: Path, depth: int = 3, folds: int = 5) -> float:
    """Cross-validated ROC AUC of a shallow decision tree on the raw features."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.tree import DecisionTreeClassifier

    x, y, _ = raw_features(world)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    tree = DecisionTreeClassifier(max_depth=depth, random_state=0)
    return float(cross_val_score(tree, x, y, cv=cv, scoring="roc_auc").mean())
