"""The reference fold: the books that a stream of events produces, computed in memory.

This is the oracle the store, integration and end-to-end tests are checked against ("the
final books equal the pure core's result on the same events"), so it is deliberately the
simplest possible use of :func:`~.posting.post`: for each event in arrival order, skip it if
its id was already posted, otherwise post it against the current documents and keep what it
returns. A rejected event changes nothing and is remembered with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .balance import Balance, fold
from .document import DocumentState
from .document_line import DocumentKey
from .errors import EventRejectedError
from .events import Event
from .item import ItemKey
from .posting import post
from .transaction import Transaction

__all__ = ["Books", "replay"]


@dataclass(frozen=True, slots=True)
class Books:
    """Document states, the ledger in posting order, and which events were seen."""

    documents: Mapping[DocumentKey, DocumentState] = field(
        default_factory=lambda: MappingProxyType({})
    )
    transactions: tuple[Transaction, ...] = ()
    processed: frozenset[str] = frozenset()
    rejected: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """event id → rejection reason."""

    @property
    def balances(self) -> dict[ItemKey, Balance]:
        """Balances of every item with a transaction (Σ transactions: invariant 2 by definition)."""
        return fold(self.transactions)


def replay(events: Iterable[Event], books: Books | None = None) -> Books:
    """Post ``events`` in the given order on top of ``books`` (default: empty books).

    A repeated ``event_id`` — already posted or already rejected — is skipped, so replaying
    any prefix, or the whole stream, again changes nothing (invariant 5).
    """
    start = books or Books()
    documents = dict(start.documents)
    transactions = list(start.transactions)
    processed = set(start.processed)
    rejected = dict(start.rejected)
    for event in events:
        if event.event_id in processed or event.event_id in rejected:
            continue
        try:
            posting = post(event, documents)
        except EventRejectedError as error:
            rejected[event.event_id] = error.reason.value
            continue
        documents.update((document.key, document) for document in posting.documents)
        transactions.extend(posting.transactions)
        processed.add(event.event_id)
    return Books(
        documents=MappingProxyType(documents),
        transactions=tuple(transactions),
        processed=frozenset(processed),
        rejected=MappingProxyType(rejected),
    )
