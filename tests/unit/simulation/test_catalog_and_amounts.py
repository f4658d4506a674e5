"""Master data and the decimal strings quantities and money are written as."""

from __future__ import annotations

import pytest

from inventory_ledger.simulation import SimulationConfig, catalog_of
from inventory_ledger.simulation.amounts import money, qty

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("items", "locations"), [(4, 1), (50, 2), (300, 26)])
def test_catalog_has_every_kind_of_item(items: int, locations: int) -> None:
    catalog = catalog_of(SimulationConfig(items=items, locations=locations))
    lics = [item.lic for item in catalog.items]
    assert len(lics) == items
    assert len(set(lics)) == items
    assert {item.tracking for item in catalog.items} == {"none", "mfr_lot", "serial"}
    assert any(item.step < 1000 for item in catalog.items), "no fractional goods"
    assert catalog.kits
    purchased = {item.lic for item in catalog.purchased}
    for kit in catalog.kits:
        assert len(kit.components) >= 2
        assert all(lic in purchased and per_unit > 0 for lic, per_unit in kit.components)
    assert catalog.locations[0] == "main"
    assert len(set(catalog.locations)) == locations


@pytest.mark.parametrize(
    ("milli", "text"),
    [(1, "0.001"), (250, "0.25"), (1000, "1"), (2500, "2.5"), (123456, "123.456")],
)
def test_quantities(milli: int, text: str) -> None:
    assert qty(milli) == text


@pytest.mark.parametrize(("cents", "text"), [(1, "0.01"), (1234, "12.34"), (100, "1.00")])
def test_money(cents: int, text: str) -> None:
    assert money(cents) == text


@pytest.mark.parametrize("bad", [0, -5])
def test_non_positive_amounts_never_reach_the_wire(bad: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        qty(bad)
    with pytest.raises(ValueError, match="positive"):
        money(bad)
