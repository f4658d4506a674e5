"""The connection type the store's functions accept: a plain one or one lent by a pool."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

__all__ = ["Connection"]

if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]
else:  # the classes are generic only in the type stubs
    Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy
