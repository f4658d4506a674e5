"""The simulated business's master data: items, locations, vendors and customers.

Items come in families that behave differently on purpose: plain counted goods, fractional
goods (metres, kilograms), manufacturer-lot-tracked goods, serialized goods (integer
quantities, one serial per unit), and kits with a bill of materials that jobs and assembly
adjustments build from purchased components.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from .amounts import MILLI

__all__ = ["Catalog", "Item", "Tracking", "build_catalog"]

Tracking = Literal["none", "mfr_lot", "serial"]


@dataclass(frozen=True, slots=True)
class Item:
    """One line item code; quantities of it are multiples of ``step`` thousandths."""

    lic: str
    tracking: Tracking
    step: int
    cost_cents: int
    components: tuple[tuple[str, int], ...] = ()
    """Bill of materials of a kit: (component lic, thousandths per unit built)."""

    @property
    def is_kit(self) -> bool:
        """Built by jobs and assemblies rather than bought."""
        return bool(self.components)


@dataclass(frozen=True, slots=True)
class Catalog:
    """Master data of one run; ``purchased`` and ``kits`` partition ``items``."""

    items: tuple[Item, ...]
    locations: tuple[str, ...]
    vendors: tuple[str, ...]
    customers: tuple[str, ...]

    @property
    def purchased(self) -> tuple[Item, ...]:
        """Items bought from vendors (no bill of materials)."""
        return tuple(i for i in self.items if not i.is_kit)

    @property
    def kits(self) -> tuple[Item, ...]:
        """Items built from components."""
        return tuple(i for i in self.items if i.is_kit)


# prefix, tracking, step (thousandths), unit cost range (cents)
_PURCHASED: tuple[tuple[str, Tracking, int, tuple[int, int]], ...] = (
    ("WIDGET", "none", MILLI, (150, 2500)),
    ("SENSOR", "serial", MILLI, (2500, 15000)),
    ("RESIN", "mfr_lot", 1, (800, 3000)),
    ("BOLT", "none", MILLI, (5, 80)),
    ("CABLE", "none", 500, (90, 400)),
    ("PAINT", "mfr_lot", 250, (1200, 4500)),
    ("MOTOR", "serial", MILLI, (8000, 40000)),
    ("BRACKET", "none", MILLI, (60, 900)),
)
_KITS: tuple[tuple[str, Tracking], ...] = (
    ("ASSY", "none"),
    ("ROBOT", "serial"),
    ("KIT", "mfr_lot"),
)
_LOCATIONS = ("main", "WH-EAST", "WH-WEST", "STORE-NORTH", "STORE-SOUTH")


def _per_kit(rng: random.Random, component: Item) -> int:
    """Thousandths of a component in one kit: 1-3 units, or 0.25-2 of a fractional good."""
    if component.step == MILLI:
        return MILLI * rng.randint(1, 3)
    share = rng.choice((250, 500, 750, 1000, 1500, 2000))
    return max(component.step, share // component.step * component.step)


def build_catalog(rng: random.Random, items: int, locations: int) -> Catalog:
    """Make ``items`` items (about one in five a kit) at ``locations`` locations.

    The first families of each list always appear, so even a tiny catalog has plain,
    serialized, lot-tracked and fractional goods and at least one kit.
    """
    n_kits = max(1, items // 5)
    bought: list[Item] = []
    for i in range(items - n_kits):
        prefix, tracking, step, (lo, hi) = _PURCHASED[i] if i < 3 else rng.choice(_PURCHASED)
        bought.append(Item(f"{prefix}-{len(bought) + 1:04d}", tracking, step, rng.randint(lo, hi)))
    kits: list[Item] = []
    for i in range(n_kits):
        prefix, tracking = _KITS[i] if i < len(_KITS) else rng.choice(_KITS)
        bom = rng.sample(bought, k=min(len(bought), rng.randint(2, 4)))
        components = tuple((c.lic, _per_kit(rng, c)) for c in bom)
        cost = sum(c.cost_cents * n // MILLI for c, (_, n) in zip(bom, components, strict=True))
        lic = f"{prefix}-{len(bought) + len(kits) + 1:04d}"
        kits.append(Item(lic, tracking, MILLI, max(cost, 1) * 11 // 10 + 1, components))
    names = _LOCATIONS + tuple(f"WH-{i:02d}" for i in range(len(_LOCATIONS), 26))
    return Catalog(
        items=tuple(bought + kits),
        locations=names[:locations],
        vendors=tuple(f"VEND-{i:03d}" for i in range(1, max(3, items // 6) + 1)),
        customers=tuple(f"CUST-{i:04d}" for i in range(1, max(10, items * 2) + 1)),
    )
