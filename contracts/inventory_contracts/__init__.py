"""Event contracts (v1) of the inventory ledger service."""

__all__: list[str] = []
