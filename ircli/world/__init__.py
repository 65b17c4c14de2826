"""The synthetic world: a deterministic, labelled population of API accounts and traffic.

No lab can share real distillation logs, so ircli generates them: campaign archetypes
(``attacks``) among hard negatives and ordinary customers (``negatives``), drawn from
shared distributions (``world``, ``network``, ``accounts``), asking questions composed
from phrase banks (``phrases``, ``families``, ``prompts``), streamed day by day
(``traffic``) to Parquet in the canonical schema (``writer``), with ground truth in a
separate file (``labels``). Sizes are named in ``presets``.

Front ends reach it through :mod:`ircli.services.world`; importing this package pulls in
numpy, so nothing on the CLI's start-up path imports it.
"""
