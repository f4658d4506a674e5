"""One module per business flow; each flow is an :mod:`..engine` process."""

from .mix import next_document, opening

__all__ = ["next_document", "opening"]
