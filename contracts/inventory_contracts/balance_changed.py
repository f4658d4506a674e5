"""The outbound ``inventory.balance_changed`` event (topic ``inventory.balance-changed.v1``).

One event per committed change of one item's balances, keyed ``{location}/{lic}`` and
published in ``version`` order per key; a subscriber that keeps the highest ``version`` it has
seen is exact. The derived balances are checked here: ``available = on_hand + demand`` and
``projected = on_hand + on_order + demand``.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from inventory_contracts.envelope import ContractModel, Envelope, rule_error
from inventory_contracts.identifiers import DEFAULT_LOCATION, Id, Lic, Location
from inventory_contracts.quantities import SignedQty
from inventory_contracts.topics import balance_key

__all__ = ["BalanceChanged", "BalanceChangedData", "BalanceDelta"]


class BalanceDelta(ContractModel):
    """How much each bucket changed in this version (new minus previous)."""

    on_hand: SignedQty = Field(description="Change of `on_hand`.")
    on_order: SignedQty = Field(description="Change of `on_order`.")
    demand: SignedQty = Field(description="Change of `demand`.")


class BalanceChangedData(ContractModel):
    """The balances of one item at one location after a change."""

    lic: Lic = Field(description="Line item code (SKU) of the item.")
    location: Location = Field(default=DEFAULT_LOCATION, description="Location of the item.")
    version: int = Field(
        ge=1,
        strict=True,
        description="Strictly increasing per (location, lic), by one per committed change.",
    )
    on_hand: SignedQty = Field(description="Goods physically in stock (may be negative).")
    on_order: SignedQty = Field(description="Goods expected: open PO lines and planned job output.")
    demand: SignedQty = Field(
        description="Goods promised, as a non-positive number: open order lines, job inputs."
    )
    available: SignedQty = Field(description="`on_hand + demand`.")
    projected: SignedQty = Field(description="`on_hand + on_order + demand`.")
    delta: BalanceDelta = Field(description="Change of each bucket since the previous version.")
    caused_by: tuple[Id, ...] = Field(
        min_length=1,
        description="`event_id`s of the inbound events whose effects this version contains.",
    )

    @model_validator(mode="after")
    def _derived_balances(self) -> Self:
        if self.available != self.on_hand + self.demand:
            raise rule_error("available", "must equal on_hand + demand")
        if self.projected != self.on_hand + self.on_order + self.demand:
            raise rule_error("projected", "must equal on_hand + on_order + demand")
        return self


class BalanceChanged(Envelope):
    """``inventory.balance_changed``: an item's balances changed (one version)."""

    event_type: Literal["inventory.balance_changed"] = Field(
        default="inventory.balance_changed", description="Discriminator of this event type."
    )
    data: BalanceChangedData = Field(description="The item's balances after the change.")

    @property
    def key(self) -> str:
        """Kafka message key: ``{location}/{lic}``."""
        return balance_key(self.data.location, self.data.lic)
