"""Timeline writes in bulk, and custom activities the shop posts through the API."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Activity, Customer
from customers.signals import activities_recorded
from kernel.bulk import insert_new, rows_add
from kernel.errors import Conflict, FlywheelError


def activity_record_many(*, rows: list[dict], new_keys: bool = False,
                         announce: bool = True) -> list[Activity]:
    """Put many rows on timelines at once: one query finds the keys already recorded, one
    INSERT adds the rest, and `activities_recorded` is sent once for the new rows. Rows are dicts of
    customer (or customer_id), kind, and optional key, occurred_at, reference, data; a row with
    a key is recorded once per key, one without is always recorded. Returns the new rows.
    `new_keys` says no key can be recorded yet (each names a row this transaction just
    created), which saves the query. Without `announce` (history being imported) no one is
    told, so nothing is earned for them, and nothing is returned (the rows are written without
    building an Activity each). Call it inside the transaction that caused them: it
    rolls back with it."""
    if not rows:
        return []
    keys = [] if new_keys else [row["key"] for row in rows if row.get("key")]
    seen = set(Activity.objects.filter(key__any=keys).values_list("key", flat=True)) if keys \
        else set()
    now = timezone.now()
    new = []
    for row in rows:
        key = row.get("key") or None
        if key in seen:
            continue
        if key:
            seen.add(key)
        new.append(_values(row, key=key, now=now))
    if not announce:  # history: rows no one is told of, by COPY when many, no instance built
        rows_add(Activity, [_by_attname(values) for values in new])
        return []
    new_rows = [Activity(**values) for values in new]
    with transaction.atomic(savepoint=False):
        # A key another transaction recorded meanwhile is skipped: that one announces it.
        insert_new([row for row in new_rows if row.key], key=("key",))
        Activity.objects.bulk_create([row for row in new_rows if not row.key], batch_size=1000)
        created = [row for row in new_rows if row.pk is not None]
        activities_announce(created)
    return created


def activity_record(
    *,
    customer: Customer,
    kind: str,
    occurred_at: dt.datetime | None = None,
    reference: str = "",
    data: dict | None = None,
    key: str | None = None,
) -> Activity:
    """Put one row on the customer's timeline, as `activity_record_many` puts many (the same
    row, the same announcement). With a key, recording the same cause twice returns the first
    row and tells no one again: the INSERT is tried in a savepoint, so a concurrent writer of
    the same key loses to the unique constraint, not to a race."""
    return _recorded(_activity({"customer": customer, "kind": kind, "occurred_at": occurred_at,
                                "reference": reference, "data": data},
                               key=key, now=timezone.now()))[0]


def _recorded(activity: Activity) -> tuple[Activity, bool]:
    """Insert one row and announce it; or, when its key was already recorded, the row that
    key names, announced by whoever recorded it (False: not new)."""
    if activity.key is not None:
        try:
            with transaction.atomic():
                activity.save()
        except IntegrityError:
            return Activity.objects.get(key=activity.key), False
    else:
        activity.save()
    activities_announce([activity])
    return activity, True


def _activity(row: dict, *, key: str | None, now: dt.datetime) -> Activity:
    """The unsaved row for a dict of customer (or customer_id), kind, and optional
    occurred_at, reference, data."""
    return Activity(**_values(row, key=key, now=now))


def _values(row: dict, *, key: str | None, now: dt.datetime) -> dict:
    """_activity's fields."""
    customer = {"customer": row["customer"]} if "customer" in row else {
        "customer_id": row["customer_id"]}
    return {**customer, "kind": row["kind"], "key": key,
            "occurred_at": row.get("occurred_at") or now,
            "reference": (row.get("reference") or "")[:128], "data": row.get("data") or {}}


def _by_attname(values: dict) -> dict:
    """_values as a table's row: the customer by id."""
    if "customer" not in values:
        return values
    row = dict(values)
    row["customer_id"] = row.pop("customer").pk
    return row


def activities_announce(activities: list[Activity]) -> None:
    """Tell the timeline's listeners about new rows: `activities_recorded`, once for them
    all."""
    if activities:
        activities_recorded.send(sender=Activity, activities=activities)


RESERVED_KINDS = frozenset(Activity.Kind.values)


def activity_post(
    *,
    customer: Customer,
    kind: str,
    key: str,
    occurred_at: dt.datetime | None = None,
    reference: str = "",
    data: dict | None = None,
) -> tuple[Activity, bool]:
    """Record a custom activity the shop posted (a review, a social follow), once per the
    shop's idempotency key; returns the activity and whether it is new. Built-in kinds
    (orders, points, quizzes, surveys, referrals...) are recorded by Flywheel itself and are
    refused, as is a key reused for another customer or kind. An activity in the future is
    refused. Loyalty's activity rules award points for it."""
    if kind in RESERVED_KINDS:
        raise FlywheelError(
            _("This kind of activity is recorded by Flywheel itself; post a custom kind."),
            code="reserved_activity_kind", fields={"kind": _("Choose a custom kind.")})
    if customer.erased_at is not None:
        raise Conflict(_("This customer's data was erased."), code="customer_erased")
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise FlywheelError(_("An activity cannot happen in the future."),
                            code="invalid", fields={"occurred_at": _("Not in the future.")})
    activity, created = _recorded(_activity(
        {"customer": customer, "kind": kind, "occurred_at": occurred_at, "reference": reference,
         "data": data}, key=f"shop:{key}", now=occurred_at))
    if not created and (activity.customer_id != customer.pk or activity.kind != kind):
        raise Conflict(_("This idempotency key was already used for another activity."),
                       code="idempotency_key_reused")
    return activity, created
