"""DocumentState ↔ the compact JSON kept in ``document_states.state``.

Lines are stored as arrays ``[role, line_id, lic, location, ordered, fulfilled]`` (``lic`` and
``location`` null for a line the document has not listed yet) and unassigned fulfilment as
``[role, lic, location, qty]``; decimals as strings, so nothing is lost to floats.

Both directions run for every document a batch touches, so they avoid the costly parts of
the value types: enums are looked up by value in a dict (not called), written as the ``str``
they are (orjson writes a ``StrEnum`` as its value), and one decode may share its ``ItemKey``
objects between documents through ``items``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import orjson

from inventory_ledger.domain.document import DocumentState, DocumentStatus, Unassigned
from inventory_ledger.domain.document_line import DocumentKey, LineKey, LineRole, LineState
from inventory_ledger.domain.item import ItemKey

__all__ = ["decode_document", "encode_document"]

_ROLES: Final = {role.value: role for role in LineRole}
_STATUSES: Final = {status.value: status for status in DocumentStatus}


def encode_document(state: DocumentState) -> str:
    """The JSON text of a document's state."""
    lines = [
        [
            line.key.role,
            line.key.line_id,
            line.item.lic if line.item else None,
            line.item.location if line.item else None,
            str(line.ordered),
            str(line.fulfilled),
        ]
        for line in state.lines
    ]
    unassigned = [[u.role, u.item.lic, u.item.location, str(u.qty)] for u in state.unassigned]
    doc = {
        "opened": state.opened,
        "status": state.status,
        "lines": lines,
        "unassigned": unassigned,
    }
    return orjson.dumps(doc).decode()


def decode_document(
    key: DocumentKey, text: str | None, items: dict[tuple[str, str], ItemKey] | None = None
) -> DocumentState:
    """The state stored for ``key`` (``None``: a document never seen).

    ``items`` caches ``ItemKey`` by ``(lic, location)``; pass one dict to decode many documents.
    """
    if text is None:
        return DocumentState(key)
    if items is None:
        items = {}
    doc: dict[str, Any] = orjson.loads(text)
    lines = []
    for role, line_id, lic, location, ordered, fulfilled in doc["lines"]:
        item = None if lic is None else _item(items, lic, location)
        line_key = LineKey(key, _ROLES[role], line_id)
        lines.append(LineState(line_key, item, Decimal(ordered), Decimal(fulfilled)))
    unassigned = tuple(
        Unassigned(_ROLES[role], _item(items, lic, location), Decimal(qty))
        for role, lic, location, qty in doc["unassigned"]
    )
    return DocumentState(
        key, bool(doc["opened"]), _STATUSES[doc["status"]], tuple(lines), unassigned
    )


def _item(items: dict[tuple[str, str], ItemKey], lic: str, location: str) -> ItemKey:
    item = items.get((lic, location))
    if item is None:
        item = items[lic, location] = ItemKey(lic, location)
    return item
