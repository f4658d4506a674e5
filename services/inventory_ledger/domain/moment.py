"""Business-time positions: the one total order every cost step is processed in.

Allocation is a function of the *set* of events, not of their arrival order, because every
step (a lot gaining quantity, a usage, a return) is processed in ``Moment`` order, and a
moment is built only from the event itself: its business time, then its ``event_id``, then
the line's position inside the event (``seq``). Two events at the same business time are
thus ordered by id, never by which arrived first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .frozen import fast_init

__all__ = ["Moment"]


@fast_init
@dataclass(frozen=True, slots=True, order=True)
class Moment:
    """A step's position in business time: ``(at, event_id, seq)``, compared in that order.

    ``seq`` orders the lines of one event; consumed lines sort before produced ones (``"0:"``
    before ``"1:"``) so an assembly's components leave before its product arrives.
    """

    at: datetime
    event_id: str
    seq: str = ""

    @property
    def key(self) -> tuple[datetime, str, str]:
        """The plain tuple it sorts by: sorted indexes of moments compare these in C."""
        return (self.at, self.event_id, self.seq)

    def __str__(self) -> str:
        """Readable form for messages: ``2026-11-20T10:00:00+00:00/evt-1/0:L1``."""
        return f"{self.at.isoformat()}/{self.event_id}/{self.seq}"
