"""Inventory ledger service: lots, usage and transactions kept from upstream events."""

__all__: list[str] = []
