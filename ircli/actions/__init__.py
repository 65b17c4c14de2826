"""Response actions: terminating accounts and revoking keys, in bulk, under guard rails.

- :mod:`ircli.actions.base` — what a plugin is, how an answer is classified, common settings;
- :mod:`ircli.actions.registry` — plugins found through the ``ircli.actions`` entry points
  (the built-in ``scim`` and ``http`` register the same way third parties do);
- :mod:`ircli.actions.targets` — the dry-run preview: targets minus exclusions, with reasons;
- :mod:`ircli.actions.ledger` — each target's state, a projection of the journal;
- :mod:`ircli.actions.runner` — bounded concurrency, rate limit, retries, batched ledger writes.

The ledger lives in the journal as these events (payloads always carry ``step`` and ``mode``,
``apply`` or ``rollback``):

- ``action.requested``        the saved preview and its hash (what approvals bind to)
- ``action.target_started``   ``in_flight``, with the target's idempotency key
- ``action.target_succeeded`` with the effect (``deactivated``, ``already_done``, …)
- ``action.target_failed``    with the reason and whether it is permanent
- ``action.target_skipped``   with the reason (e.g. the account vanished)
- ``action.completed``        totals of one run
- ``action.stopped``          a run stopped early (the credentials were refused)
"""
