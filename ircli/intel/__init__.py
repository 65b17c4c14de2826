"""Forum intelligence."""
