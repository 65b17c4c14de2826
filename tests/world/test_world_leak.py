"""The leak check: raw per-account fields must not give the labels away.

A shallow decision tree (depth 3) on what any account dashboard shows — accounts-table
columns and simple request aggregates, *not* the designed detection signals — must not
separate attack accounts from the rest with a cross-validated ROC AUC above 0.9. If it
did, the world would be teaching the analysis to detect generator artefacts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from world_leak import leak_auc, raw_features


def test_raw_fields_do_not_separate_attack_from_benign(tiny: Path) -> None:
    auc = leak_auc(tiny, depth=3, folds=5)
    assert auc <= 0.9, f"raw per-account fields separate the labels (AUC {auc:.3f})"


def test_the_leak_check_can_fail(tiny: Path) -> None:
    # The same tree, given the label itself as a feature, must score ~1: the check has teeth.
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.tree import DecisionTreeClassifier

    x, y, names = raw_features(tiny)
    assert len(names) == x.shape[1] and y.sum() >= 50 and (~y).sum() >= 200
    leaky = np.column_stack([x, y.astype(float)])
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    auc = cross_val_score(DecisionTreeClassifier(max_depth=3), leaky, y, cv=cv, scoring="roc_auc")
    assert auc.mean() > 0.99
