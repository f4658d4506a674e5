"""The pure domain core of the inventory ledger (standard library and ``decimal`` only).

Events in, values out: :func:`post` turns one business event and the states of the documents
it touches into new document states and signed ledger transactions; :func:`replay` folds a
whole stream the same way and is the reference the stores are tested against. Nothing here
does I/O or imports the contracts, the database or the broker.
"""

from __future__ import annotations

from .balance import Balance, Mismatch, fold, reconcile
from .books import Books, replay
from .document import DocumentState, DocumentStatus, Unassigned, contributions
from .document_line import DocumentKey, DocumentKind, LineKey, LineRole, LineState
from .errors import DomainError, EventRejectedError, Reason
from .item import ZERO, Bucket, ItemKey
from .posting import Posting, affected_documents, post
from .transaction import Transaction

__all__ = [
    "ZERO",
    "Balance",
    "Books",
    "Bucket",
    "DocumentKey",
    "DocumentKind",
    "DocumentState",
    "DocumentStatus",
    "DomainError",
    "EventRejectedError",
    "ItemKey",
    "LineKey",
    "LineRole",
    "LineState",
    "Mismatch",
    "Posting",
    "Reason",
    "Transaction",
    "Unassigned",
    "affected_documents",
    "contributions",
    "fold",
    "post",
    "reconcile",
    "replay",
]
