"""The ``ircli`` command line: thin click commands over :mod:`ircli.services`."""
