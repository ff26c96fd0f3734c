"""The program's settings and tiers as the ledger and tier services read them.

Every paid order and every point awarded reaches these services; inside
`kernel.memo.memo_scope()` (a batch of deliveries) the settings and tiers are read once for
the whole batch, outside it on every call. The instances are shared: read them, never change
them (staff edit the rows in admin, which reads its own copy).
"""

from kernel.memo import memoized

from ..models import LoyaltyProgram, Tier


def program_get() -> LoyaltyProgram:
    return LoyaltyProgram.cached()


def tiers_get() -> tuple[Tier, ...]:
    """Every tier, lowest first."""
    return memoized("loyalty.tiers", lambda: tuple(Tier.objects.order_by("position")))
