"""Rate limiting: the pacer spreads records over time (a fake clock, no sleeping)."""

from __future__ import annotations

import pytest

from inventory_ledger.simulation.pacing import Pacer

pytestmark = pytest.mark.unit


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_without_rate_never_waits() -> None:
    pacer = Pacer(None)
    assert pacer.wait_s(0) == 0.0
    assert pacer.wait_s(1_000_000) == 0.0


def test_waits_until_the_rate_allows_the_next_records() -> None:
    clock = _Clock()
    pacer = Pacer(200.0, clock)
    assert pacer.wait_s(0) == 0.0
    assert pacer.every == 4
    assert pacer.wait_s(100) == pytest.approx(0.5)
    clock.now += 0.5
    assert pacer.wait_s(100) == 0.0
    clock.now += 10
    assert pacer.wait_s(200) == 0.0


def test_rejects_a_non_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacer(0.0)
