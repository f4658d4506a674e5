"""The simulator's random source: ``random.Random`` with cheaper ``randint`` and ``choice``.

The standard methods reject-sample with ``getrandbits``, which dominates the cost of an
event. Scaling one ``random()`` float has a bias below 2**-40 for the small ranges used
here, which a simulation cannot notice, and stays fully deterministic for a seed.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

__all__ = ["Chance"]

_T = TypeVar("_T")


class Chance(random.Random):
    """A seeded ``random.Random`` (not for cryptography) with fast small-range draws."""

    def randint(self, a: int, b: int) -> int:
        """An integer in ``[a, b]``."""
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: SupportsLenAndGetItem[_T]) -> _T:
        """One element of a non-empty sequence."""
        return seq[int(self.random() * len(seq))]

    def weighted(self, population: Sequence[_T], cum_weights: Sequence[float]) -> _T:
        """One element drawn by cumulative weights (like ``choices(..., cum_weights=)[0]``)."""
        return population[bisect(cum_weights, self.random() * cum_weights[-1])]
