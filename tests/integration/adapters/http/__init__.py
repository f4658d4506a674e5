"""The HTTP query API against real Postgres."""
