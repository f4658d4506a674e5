"""Maps whose cold entries live in a store outside memory, read back when a key is asked for.

The cost graph keeps what costing may read again: every lot, usage, PO line and document
of the books. Most of it is never read again, but a late event (a bill, a return, a backdated
receipt) can reach any of it, so it cannot be dropped. :class:`SpillMap` is a ``dict`` whose
oldest entries :meth:`Spill.trim` moves to a :class:`ColdStore` between batches; asking for
a key that is not in memory (``m[key]``, ``get``, ``in``, ``setdefault``, ``pop``, ``del``) reads it
back first, so the fold reads the same values as if it were all in memory.

Maps keyed alike form a :class:`SpillGroup` (a lot's cost, quantity, users ...): a key
leaves all of them at once and comes back to all of them at once, as one row of the store.
Each group keeps its newest ``resident`` entries per map (in insertion order: an entry read
back counts as new).
A key in memory shadows the store: a row read back fills only the maps that lack the key,
and is removed from the store (so a value popped afterwards cannot come back).

Whole-map reads (iteration, ``len``, ``keys``, ``dict(m)``) see memory only: call
:meth:`Spill.unspill` first (``CostLedger.books`` does).
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["ABSENT", "ColdStore", "Spill", "SpillGroup", "SpillMap"]

K = TypeVar("K", bound=str)
_FIRST_FILTER_BYTES = 1 << 10
V = TypeVar("V")


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
"""A group member without the key, in a row."""


class ColdStore(Protocol):
    """Where cold rows live: bytes per (group, key)."""

    def save(self, rows: Sequence[tuple[str, str, bytes]]) -> None:
        """Store ``rows`` (group, key, row) of keys that have no row."""

    def take(self, group: str, key: str) -> bytes | None:
        """Remove and return the row of ``key`` (``None``: there is none)."""

    def keys(self, group: str) -> list[str]:
        """The keys of the group's rows."""

    def drop(self, group: str) -> None:
        """Remove the group's rows."""


Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]
"""A member's (encode, decode): a value to plain data and back."""


class SpillMap(dict[K, V], Generic[K, V]):
    """A group member: a ``dict`` of the entries in memory that reads cold ones back."""

    __slots__ = ("_group",)

    def __init__(self, group: SpillGroup) -> None:
        super().__init__()
        self._group = group

    def __missing__(self, key: K) -> V:
        self._group.load(key)
        return dict.__getitem__(self, key)

    def get(self, key: K, default: Any = None) -> Any:
        if dict.__contains__(self, key) or self._group.load(key):
            return dict.get(self, key, default)
        return default

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or (
            isinstance(key, str) and self._group.load(key) and dict.__contains__(self, key)
        )

    def setdefault(self, key: K, default: Any = None) -> Any:
        if not dict.__contains__(self, key):
            self._group.load(key)
        return dict.setdefault(self, key, default)

    def pop(self, key: K, *default: Any) -> Any:
        if not dict.__contains__(self, key):
            self._group.load(key)
        return dict.pop(self, key, *default)

    def __delitem__(self, key: K) -> None:
        if not dict.__contains__(self, key):
            self._group.load(key)
        dict.__delitem__(self, key)


class SpillGroup:
    """Maps keyed alike whose cold entries are stored together, one row per key."""

    __slots__ = (
        "_codecs",
        "_filled",
        "_filters",
        "cold",
        "loads",
        "members",
        "name",
        "resident",
        "store",
    )

    def __init__(self, name: str, store: ColdStore, codecs: Sequence[Codec], resident: int) -> None:
        self.name, self.store, self.resident = name, store, resident
        self._codecs = tuple(codecs)
        self.members: tuple[SpillMap[Any, Any], ...] = tuple(SpillMap(self) for _ in codecs)
        self.cold = 0
        """Rows in the store."""
        self.loads = 0
        """Rows read back."""
        self._filters = [bytearray(_FIRST_FILTER_BYTES)]
        """Bit filters of the keys ever stored (2 bits per key): a key in none was never
        stored, so most misses (a new lot, usage ...) never ask the store. When the newest
        is full (a key per 16 bits), a new one 4 times its size takes the next keys."""
        self._filled = 0
        """Keys added to the newest filter."""

    def load(self, key: str) -> bool:
        """Read ``key``'s row back into the members that lack it; whether there was one."""
        if not self._might_hold(key):
            return False  # the usual case: a key never stored (a new lot, usage ...)
        row = self.store.take(self.name, key)
        if row is None:
            return False
        self.cold -= 1
        self.loads += 1
        for member, (_, decode), data in zip(self.members, self._codecs, _unpack(row), strict=True):
            if data is not ... and not dict.__contains__(member, key):
                dict.__setitem__(member, key, decode(data))
        return True

    def trim(self, out: list[tuple[str, str, bytes]]) -> None:
        """Take the oldest entries of each member beyond ``resident`` out of memory: their
        rows (group, key, row) go to ``out``, for the store."""
        keys: dict[str, None] = {}
        resident = self.resident
        for member in self.members:
            excess = len(member) - resident
            if excess > 0:
                keys.update(dict.fromkeys(islice(dict.__iter__(member), excess)))
        if not keys:
            return
        name, codecs, members = self.name, self._codecs, self.members
        for key in keys:
            data = [
                ... if value is ABSENT else encode(value)
                for (encode, _), value in zip(
                    codecs, (dict.pop(m, key, ABSENT) for m in members), strict=True
                )
            ]
            if self._might_hold(key):
                # a map was given the key while its row was cold (set, never read): the
                # row's values for the maps that lack the key still hold
                old = self.store.take(name, key)
                if old is not None:
                    self.cold -= 1
                    data = [o if d is ... else d for d, o in zip(data, _unpack(old), strict=True)]
            out.append((name, key, _pack(data)))
        self.cold += len(keys)
        self._remember(keys)

    def unspill(self) -> None:
        """Read every cold row back."""
        for key in self.store.keys(self.name):
            self.load(key)

    def drop(self) -> None:
        """Forget the cold rows (for a group whose members are being dropped)."""
        self.store.drop(self.name)
        self.cold = 0

    def _might_hold(self, key: str) -> bool:
        h = hash(key)
        for bits in self._filters:  # few: each is 4 times the one before
            mask = (len(bits) << 3) - 1
            a, b = h & mask, (h >> 32) & mask
            if bits[a >> 3] >> (a & 7) & 1 and bits[b >> 3] >> (b & 7) & 1:
                return True
        return False

    def _remember(self, keys: Iterable[str]) -> None:
        bits = self._filters[-1]
        mask = (len(bits) << 3) - 1
        for key in keys:
            if self._filled * 2 >= len(bits):  # a key per 16 bits: a new, larger filter
                bits = bytearray(len(bits) * 4)
                mask = (len(bits) << 3) - 1
                self._filters.append(bits)
                self._filled = 0
            h = hash(key)
            a, b = h & mask, (h >> 32) & mask
            bits[a >> 3] |= 1 << (a & 7)
            bits[b >> 3] |= 1 << (b & 7)
            self._filled += 1


class Spill:
    """The groups of one ledger, trimmed and read back together."""

    __slots__ = ("groups", "store")

    def __init__(self, groups: Iterable[SpillGroup], store: ColdStore) -> None:
        self.groups = list(groups)
        self.store = store

    def trim(self) -> int:
        """Keep each group's newest ``resident`` entries per map in memory; how many keys
        were stored (in one call of the store)."""
        rows: list[tuple[str, str, bytes]] = []
        for group in self.groups:
            group.trim(rows)
        if rows:
            self.store.save(rows)
        return len(rows)

    def unspill(self) -> None:
        """Read everything back (whole-map reads see it all again)."""
        for group in self.groups:
            group.unspill()

    @property
    def cold(self) -> int:
        """Rows in the store."""
        return sum(group.cold for group in self.groups)

    @property
    def loads(self) -> int:
        """Rows read back since the start."""
        return sum(group.loads for group in self.groups)


def _pack(data: list[Any]) -> bytes:
    return marshal.dumps(tuple(data))


def _unpack(row: bytes) -> tuple[Any, ...]:
    result: tuple[Any, ...] = marshal.loads(row)  # noqa: S302 - rows this process wrote
    return result
