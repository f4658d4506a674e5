"""Cross-field rules: unique line ids, serials per unit, unit cost of receipts without a PO."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.contracts.support import Example, accepted, rejected

pytestmark = pytest.mark.unit


def _line(line_id: str, qty: str = "1", **extra: Any) -> dict[str, Any]:
    return {"line_id": line_id, "lic": "WIDGET-1", "location": "main", "qty": qty, **extra}


@pytest.mark.parametrize(
    "event_type",
    [
        "purchase_order.opened",
        "purchase_order.changed",
        "order.opened",
        "order.changed",
        "shipment.received",
        "shipment.shipped",
        "shipment.returned",
        "job.materials_consumed",
        "job.output_completed",
    ],
)
def test_line_ids_are_unique_within_a_document(event_type: str, example: Example) -> None:
    document = example(event_type)
    lines = document["data"]["lines"]
    lines.append({**lines[0], "serials": None})

    message = rejected(document)

    index = len(lines) - 1
    assert message == (
        f"data.lines[{index}].line_id: duplicate id {lines[0]['line_id']!r} "
        "(first at lines[0].line_id)"
    )


def test_job_line_ids_are_unique_across_outputs_and_inputs(example: Example) -> None:
    document = example("job.opened")
    document["data"]["inputs"][1]["line_id"] = document["data"]["outputs"][0]["line_id"]

    assert rejected(document) == (
        "data.inputs[1].line_id: duplicate id 'out-1' (first at outputs[0].line_id)"
    )


def test_job_may_have_no_inputs_but_needs_an_output(example: Example) -> None:
    document = example("job.opened")
    del document["data"]["inputs"]
    assert accepted(document)

    document["data"]["outputs"] = []
    assert rejected(document) == "data.outputs: must have at least 1 item(s)"


def test_adjustment_line_ids_are_unique_across_consumed_and_produced(example: Example) -> None:
    document = example("adjustment.posted")
    document["data"]["produced"][0]["line_id"] = "1"

    assert rejected(document) == (
        "data.produced[0].line_id: duplicate id '1' (first at consumed[0].line_id)"
    )


def test_a_bill_names_each_po_line_once(example: Example) -> None:
    document = example("purchase.opened")
    document["data"]["lines"].append(document["data"]["lines"][0])

    assert rejected(document).startswith("data.lines[1].po_line_id: duplicate id '1'")


def test_changed_documents_may_remove_every_line(example: Example) -> None:
    for event_type in ("purchase_order.changed", "order.changed"):
        document = example(event_type)
        document["data"]["lines"] = []
        assert accepted(document).data.lines == ()  # type: ignore[union-attr]


def test_opened_documents_need_a_line(example: Example) -> None:
    document = example("order.opened")
    document["data"]["lines"] = []

    assert rejected(document) == "data.lines: must have at least 1 item(s)"


def test_serials_must_match_qty(example: Example) -> None:
    document = example("shipment.shipped")
    document["data"]["lines"][0].update(qty="3", serials=["A", "B"])

    assert rejected(document) == "data.lines[0].serials: 2 serials given for qty 3"


def test_serials_need_a_whole_qty(example: Example) -> None:
    document = example("shipment.shipped")
    document["data"]["lines"][0].update(qty="1.5", serials=["A"])

    assert rejected(document) == "data.lines[0].serials: 1 serials given for qty 1.5"


def test_serials_are_unique_within_a_line(example: Example) -> None:
    document = example("shipment.returned")
    document["data"]["lines"][0].update(qty="2", serials=["A", "A"])

    assert rejected(document) == "data.lines[0].serials[1]: duplicate serial 'A'"


def test_a_serial_is_not_in_two_lines_of_one_item(example: Example) -> None:
    document = example("shipment.shipped")
    document["data"]["lines"] = [_line("1", serials=["A"]), _line("2", serials=["A"])]

    assert rejected(document) == "data.lines[1].serials: serial 'A' of 'WIDGET-1' also in lines[0]"


def test_the_same_serial_of_two_items_is_fine(example: Example) -> None:
    document = example("shipment.shipped")
    document["data"]["lines"] = [
        _line("1", serials=["A"]),
        {**_line("2", serials=["A"]), "lic": "GADGET-2"},
    ]

    assert accepted(document)


def test_serialized_example_is_valid_and_empty_serials_are_not(example: Example) -> None:
    document = example("shipment.received")
    assert accepted(document).data.lines[1].serials == ("SN-1", "SN-2")  # type: ignore[union-attr]

    document["data"]["lines"][1]["serials"] = []
    assert rejected(document) == "data.lines[1].serials: 0 serials given for qty 2"


def test_receipt_without_po_needs_unit_cost_on_every_line(example: Example) -> None:
    document = example("shipment.received")
    del document["data"]["po_id"]

    assert rejected(document) == "data.lines[0].unit_cost: is required when there is no po_id"

    document["data"]["lines"][0]["unit_cost"] = "2.5"
    assert accepted(document)


def test_receipt_against_a_po_may_omit_unit_cost(example: Example) -> None:
    document = example("shipment.received")

    assert accepted(document).data.lines[0].unit_cost is None  # type: ignore[union-attr]
