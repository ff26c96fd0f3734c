"""Taking back points that an activity earned (a referral refunded after its hold, say)."""

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from customers.models import Activity

from ..models import LoyaltyAccount, PointsEntry, PointsLot
from .ledger import _move, _post

Kind = PointsEntry.Kind


def points_reverse_for_activity(*, activity: Activity, reason: str = "") -> PointsEntry | None:
    """Post one reversing entry for everything an activity earned, once (key
    `activity:<id>:reverse`); None when it earned nothing or was already reversed.

    What is left of the earn's lot is cancelled first; points already spent are taken from the
    balance all the same, which may then go negative (as with refunds, see ARCHITECTURE.md).
    """
    key = f"activity:{activity.pk}:reverse"
    with transaction.atomic():
        earn = PointsEntry.objects.filter(activity=activity, kind=Kind.EARN).first()
        if earn is None:
            return None
        LoyaltyAccount.objects.select_for_update().filter(pk=earn.account_id).first()
        if PointsEntry.objects.filter(key=key).exists():
            return None
        lot = PointsLot.objects.select_for_update().filter(entry=earn).first()
        held = bool(lot and lot.is_held)
        entry = _post(account_id=earn.account_id, kind=Kind.REVERSE, amount=-earn.amount, key=key,
                      held=held, activity=activity,
                      reason=reason or _("Reversed: %(kind)s") % {"kind": activity.kind_label})
        if entry is None:
            return None
        if lot is not None and lot.remaining:
            PointsLot.objects.filter(pk=lot.pk).update(
                remaining=F("remaining") - min(lot.remaining, earn.amount))
        if held:
            _move(earn.account_id, pending=-earn.amount)
        else:
            _move(earn.account_id, balance=-earn.amount)
    return entry
