"""The native local stack: real Apache Kafka (KRaft) and real PostgreSQL, no Docker.

Used by ``inventory-ledger stack up|down|status``, ``make demo`` and the test harness.
"""

from inventory_ledger.local_stack.stack import LocalStack, StackError, StackStatus

__all__ = ["LocalStack", "StackError", "StackStatus"]
