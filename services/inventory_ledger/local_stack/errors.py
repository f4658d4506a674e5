"""Errors of the local stack, with messages a person can act on."""

__all__ = ["StackError"]


class StackError(RuntimeError):
    """The local stack could not be started, stopped or reached; the message says why."""
