"""DocumentState ↔ the compact JSON kept in ``document_states.state``.

Lines are stored as arrays ``[role, line_id, lic, location, ordered, fulfilled]`` (``lic`` and
``location`` null for a line the document has not listed yet) and unassigned fulfilment as
``[role, lic, location, qty]``; decimals as strings, so nothing is lost to floats.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from inventory_ledger.domain.document import DocumentState, DocumentStatus, Unassigned
from inventory_ledger.domain.document_line import DocumentKey, LineKey, LineRole, LineState
from inventory_ledger.domain.item import ItemKey

__all__ = ["decode_document", "encode_document"]


def encode_document(state: DocumentState) -> str:
    """The JSON text of a document's state."""
    lines = [
        [
            line.key.role.value,
            line.key.line_id,
            line.item.lic if line.item else None,
            line.item.location if line.item else None,
            str(line.ordered),
            str(line.fulfilled),
        ]
        for line in state.lines
    ]
    unassigned = [[u.role.value, u.item.lic, u.item.location, str(u.qty)] for u in state.unassigned]
    doc = {
        "opened": state.opened,
        "status": state.status.value,
        "lines": lines,
        "unassigned": unassigned,
    }
    return orjson.dumps(doc).decode()


def decode_document(key: DocumentKey, text: str | None) -> DocumentState:
    """The state stored for ``key`` (``None``: a document never seen)."""
    if text is None:
        return DocumentState(key)
    doc: dict[str, Any] = orjson.loads(text)
    lines = tuple(
        LineState(
            key=LineKey(key, LineRole(role), line_id),
            item=ItemKey(lic, location) if lic is not None else None,
            ordered=Decimal(ordered),
            fulfilled=Decimal(fulfilled),
        )
        for role, line_id, lic, location, ordered, fulfilled in doc["lines"]
    )
    unassigned = tuple(
        Unassigned(LineRole(role), ItemKey(lic, location), Decimal(qty))
        for role, lic, location, qty in doc["unassigned"]
    )
    return DocumentState(
        key=key,
        opened=bool(doc["opened"]),
        status=DocumentStatus(doc["status"]),
        lines=lines,
        unassigned=unassigned,
    )
