"""The one error a contract violation raises, and its machine-readable reasons."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ContractError", "Reason"]


class Reason(StrEnum):
    """Why a message was rejected; the value is what a dead letter's ``reason`` carries."""

    TOO_LARGE = "too_large"
    """The message is larger than ``MAX_MESSAGE_BYTES``."""
    NOT_UTF8 = "not_utf8"
    """The message is not valid UTF-8."""
    TOO_DEEP = "too_deep"
    """JSON arrays/objects are nested deeper than ``MAX_DEPTH``."""
    NOT_JSON = "not_json"
    """The message is not one JSON value (syntax error, NaN/Infinity, trailing data)."""
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    """``event_type`` names no inbound event of this contract."""
    UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"
    """``schema_version`` is newer than the version this contract implements."""
    TOO_MANY_LINES = "too_many_lines"
    """A line list of the document is longer than ``MAX_LINES_PER_DOCUMENT``."""
    SCHEMA = "schema"
    """Anything else the contract forbids: a missing or malformed field, a broken rule."""


class ContractError(ValueError):
    """A message that does not satisfy the contract and never will (retrying cannot help).

    ``reason`` is machine-readable (a :class:`Reason`); ``message`` is for humans and names the
    offending field path, e.g. ``data.lines[2].qty: must be positive``.
    """

    def __init__(self, reason: Reason | str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = Reason(reason)
        self.message = message

    def __reduce__(self) -> tuple[type[ContractError], tuple[str, str]]:
        return (type(self), (self.reason.value, self.message))
