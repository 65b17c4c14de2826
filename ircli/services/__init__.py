"""The façade both front ends call. Each module speaks one part of the responder's work:

- :mod:`ircli.services.workspace` — who is acting, on which store, with which config;
- :mod:`ircli.services.incidents` — open, list, show, note, close, verify;
- :mod:`ircli.services.playbooks` — find, list, validate, convert (CACAO) playbooks;
- :mod:`ircli.services.runs` — start and advance playbook runs (the engine's front door);
- :mod:`ircli.services.decisions` and :mod:`ircli.services.approvals` — decisions and the
  two-person rule shared by decisions, response actions and reports;
- :mod:`ircli.services.steps` — the step-handler protocol and registry (``ircli.steps``);
- :mod:`ircli.services.step_states` — each step's state as a front end shows it;
- :mod:`ircli.services.journal` — live views: journal slices, topics, the incidents board.

Front ends (``ircli.cli``, ``ircli.tui``) import from here and from ``ircli.errors``
only; they never open the store or an HTTP client themselves.
"""
