"""Signals that let the upper apps react to what happens in loyalty.

Sent inside the transaction that made the change, so a receiver's writes commit or roll back
with it; a receiver that calls out schedules that work after commit (`delay_on_commit`).
"""

from django.dispatch import Signal

# redemptions: list[Redemption], vouchers just issued together (a redemption or a gift), sent
# once per batch; a voucher returned again for the same idempotency key is not in it.
vouchers_issued = Signal()
# redemptions: list[Redemption], vouchers just cancelled (their points given back).
vouchers_cancelled = Signal()
