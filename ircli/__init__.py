"""ircli — terminal incident response for adversarial distillation of AI models.

Importing this package does no work and loads no front end: the CLI, the TUI and
the heavy libraries (Textual, DuckDB, httpx) are imported lazily where used.
"""

__version__ = "0.1.0"
