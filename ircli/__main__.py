"""``python -m ircli`` runs the command line."""

from ircli.cli.main import main

main()
