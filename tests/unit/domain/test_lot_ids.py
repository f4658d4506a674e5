"""Lot ids name the item as its ``str`` does (``lot_id`` spells it out without the call)."""

from __future__ import annotations

import pytest

from inventory_ledger.domain.item import ItemKey
from inventory_ledger.domain.lot import lot_id

pytestmark = pytest.mark.unit


def test_a_lot_id_names_document_line_item_and_mfr_lot() -> None:
    item = ItemKey("WIDGET", "east")
    assert lot_id("shipment:S-1", "L1", item) == f"shipment:S-1/L1:{item}"
    assert lot_id("shipment:S-1", "L1", item, "M7") == f"shipment:S-1/L1:{item}#M7"
