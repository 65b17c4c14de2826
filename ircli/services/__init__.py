"""The façade both front ends call. Each module speaks one part of the responder's work:

- :mod:`ircli.services.workspace` — who is acting, on which store, with which config;
- :mod:`ircli.services.incidents` — open, list, show, note, close, verify.

Front ends (``ircli.cli``, ``ircli.tui``) import from here and from ``ircli.errors``
only; they never open the store or an HTTP client themselves.
"""

# Event types whose timeline lines live outside ``core`` register here, so every front end
# describes them whichever service it imported first.
import ircli.intel.events  # noqa: F401
