"""Distillation analysis: indicators, account linking, verdicts and explanations (DESIGN §7).

Everything here is SQL over the canonical tables (DuckDB by default) plus a little Python
to apply the two-family rule and word the reasons. No front-end imports.
"""

from ircli.analysis.engine import AnalysisResult, analyze

__all__ = ["AnalysisResult", "analyze"]
