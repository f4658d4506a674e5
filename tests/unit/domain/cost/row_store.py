"""A cold store for the cost graph's spill in tests: rows of bytes in a dict."""

from __future__ import annotations

from collections.abc import Sequence


class RowStore:
    """A cold store of bytes in a dict (the service's keeps them in a scratch file)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], bytes] = {}

    def save(self, rows: Sequence[tuple[str, str, bytes]]) -> None:
        for group, key, row in rows:
            assert (group, key) not in self.rows  # the spill takes a cold row before it saves
            self.rows[group, key] = row

    def take(self, group: str, key: str) -> bytes | None:
        return self.rows.pop((group, key), None)

    def keys(self, group: str) -> list[str]:
        return [key for (g, key) in self.rows if g == group]

    def drop(self, group: str) -> None:
        for key in self.keys(group):
            del self.rows[group, key]

    def close(self) -> None:
        self.rows.clear()
