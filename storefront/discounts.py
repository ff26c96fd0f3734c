"""Discount codes in the shop's platform: every voucher Flywheel issues is created as a real,
single-use discount code for that customer in Shopify or WooCommerce, so the shop's checkout
accepts it. A code used at checkout comes back in the order's discount codes, and loyalty
marks the voucher used (loyalty.services.vouchers_use_for_orders).

Each voucher gets one DiscountSync row, keyed by the voucher: the pushes are idempotent
because the platform refuses a second code with the same value, and Flywheel then checks that
the existing one is its own before calling it synced. A failure that may pass (no answer, a
rate limit, a server error) is tried again with exponential backoff, waiting at least what
the platform asked for; one that needs a person (credentials refused, a value the platform
won't take) waits for staff, who see it in admin and push it again. A voucher cancelled
after its code was made has the code deleted in the platform, with the same retries."""

import dataclasses
import datetime as dt
import logging
from decimal import Decimal

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.selectors import customer_external_id
from kernel.errors import Conflict
from loyalty.models import Redemption, Reward

from .discount_platforms import (
    AMOUNT,
    PERCENT,
    CodeTaken,
    DiscountSpec,
    PlatformError,
    ShopifyClient,
    WooCommerceClient,
    shopify_customer_gid,
)
from .models import DiscountSync, PlatformConnection

log = logging.getLogger(__name__)

Status = DiscountSync.Status
Platform = PlatformConnection.Platform
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600
# A due retry whose task was lost is queued by the sweep once it is this late.
SWEEP_GRACE = dt.timedelta(minutes=5)
SYNCED_KINDS: dict[str, str] = {Reward.Kind.AMOUNT_OFF: AMOUNT, Reward.Kind.PERCENT_OFF: PERCENT}


def platform_connection_get() -> PlatformConnection:
    return PlatformConnection.get()


def platform_client(connection: PlatformConnection):
    """The client for the configured platform; None when none is configured."""
    if not connection.is_configured:
        return None
    if connection.platform == Platform.SHOPIFY:
        return ShopifyClient(shop_url=connection.shop_url, access_token=connection.access_token,
                             api_version=connection.shopify_api_version)
    return WooCommerceClient(shop_url=connection.shop_url, consumer_key=connection.consumer_key,
                             consumer_secret=connection.consumer_secret)


def _not_needed_reason(redemption: Redemption) -> str:
    if redemption.reward.kind not in SYNCED_KINDS:
        return _("Only amount-off and percentage-off rewards become discount codes in the "
                 "shop; this voucher is checked through Flywheel's API at checkout.")
    return ""


def discount_syncs_create(*, redemptions: list[Redemption]) -> list[DiscountSync]:
    """A sync row for each newly issued voucher, and its push queued after commit: pending
    when a platform is configured and the reward is a fixed amount or a percentage off, else
    "not needed" with the reason. Set-based: one read of the settings, one insert."""
    if not redemptions:
        return []
    connection = PlatformConnection.cached()
    now = timezone.now()
    rows = []
    for redemption in redemptions:
        reason = _not_needed_reason(redemption)
        needed = connection.is_configured and not reason
        # A held tier gift is pushed once usable (WooCommerce coupons have no start date).
        rows.append(DiscountSync(
            redemption=redemption, platform=connection.platform if needed else "",
            status=Status.PENDING if needed else Status.NOT_NEEDED, last_error=reason,
            next_attempt_at=max(now, redemption.held_until or now) if needed else None))
    DiscountSync.objects.bulk_create(rows, ignore_conflicts=True)
    syncs = list(DiscountSync.objects.filter(redemption__in=redemptions, status=Status.PENDING,
                                             attempts=0, next_attempt_at__lte=now))
    from .tasks import discount_sync_push_task

    for sync in syncs:
        discount_sync_push_task.delay_on_commit(sync.pk)
    return syncs


def discount_spec(*, redemption: Redemption, platform: str) -> DiscountSpec:
    """What to create for a voucher; PlatformError when it can't be made as the rules ask
    (a reward in another currency than the shop's). The Shopify customer id is the one their
    orders carried, or empty (then looked up by email when pushing)."""
    reward, customer = redemption.reward, redemption.account.customer
    if reward.kind == Reward.Kind.AMOUNT_OFF and (
            reward.currency.upper() != settings.SHOP_CURRENCY.upper()):
        raise PlatformError(
            _("The reward is in %(currency)s but the shop's currency is %(shop)s: the "
              "platform would read the amount in its own currency.")
            % {"currency": reward.currency, "shop": settings.SHOP_CURRENCY})
    # The database guarantees each kind's value (reward_amount_off_has_amount_currency...).
    amount = reward.amount if reward.kind == Reward.Kind.AMOUNT_OFF else reward.percent
    value = Decimal(amount or 0)
    gid = ""
    if platform == Platform.SHOPIFY:
        external = customer_external_id(customer=customer, source="shopify")
        gid = shopify_customer_gid(external) if external else ""
    return DiscountSpec(
        code=redemption.code, title=f"{reward.name} – {redemption.code}",
        kind=SYNCED_KINDS[reward.kind], value=value,
        starts_at=redemption.held_until or redemption.created_at,
        ends_at=redemption.expires_at, customer_email=customer.email,
        shopify_customer_gid=gid)


def _backoff(attempts: int, retry_after: float | None) -> dt.timedelta:
    seconds = min(BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return dt.timedelta(seconds=max(seconds, retry_after or 0))


def _push(sync: DiscountSync, client) -> str:
    spec = discount_spec(redemption=sync.redemption, platform=sync.platform)
    if sync.platform == Platform.SHOPIFY and not spec.shopify_customer_gid:
        # Not seen in a Shopify order yet: the shop may know them by their email.
        gid = client.customer_find(spec.customer_email)
        if not gid:
            raise PlatformError(_("The shop's Shopify has no customer with this email yet, "
                                  "so the code can't be restricted to them; push it again "
                                  "once they have an account there."))
        spec = dataclasses.replace(spec, shopify_customer_gid=gid)
    try:
        return client.discount_create(spec)
    except CodeTaken:
        found = client.discount_find(spec)
        if found:
            return found
        raise PlatformError(_("The shop already has a discount with this code that Flywheel "
                              "did not create.")) from None


def discount_sync_push(*, sync_id: int, now: dt.datetime | None = None) -> DiscountSync:
    """Create the voucher's code in the platform, once, or delete it when its voucher was
    cancelled after (removing). Synced, removed and not-needed rows are left alone; a voucher
    cancelled, used or expired before its code was made needs none. A transient failure
    schedules the next attempt (exponential backoff from 30 s, at least the platform's
    Retry-After or throttle wait, MAX_ATTEMPTS in all); any other failure waits for staff.
    The HTTP calls are made outside any transaction."""
    now = now or timezone.now()
    sync = (DiscountSync.objects.select_related("redemption__reward",
                                                "redemption__account__customer")
            .get(pk=sync_id))
    if sync.status not in (Status.PENDING, Status.FAILED, Status.REMOVING):
        return sync
    removing = sync.status == Status.REMOVING
    voucher_status = sync.redemption.current_status(now)
    if not removing and voucher_status in (Redemption.Status.CANCELLED,
                                           Redemption.Status.EXPIRED, Redemption.Status.USED):
        return _save(sync, status=Status.NOT_NEEDED, next_attempt_at=None, last_error=_(
            "The voucher was cancelled, used or expired before its code was created in the "
            "shop."))
    if not removing and voucher_status == Redemption.Status.HELD:
        return _save(sync, next_attempt_at=sync.redemption.held_until)
    connection = platform_connection_get()
    client = platform_client(connection)
    if client is None or connection.platform != sync.platform:
        return _save(sync, status=sync.status if removing else Status.FAILED,
                     next_attempt_at=None, last_error=_(
                         "The shop's platform connection is not set up for %(platform)s "
                         "(admin → Shop platform connection).")
                     % {"platform": sync.get_platform_display() or "–"})
    attempts = sync.attempts + 1
    try:
        if removing:
            client.discount_delete(sync.external_id)
        else:
            external_id = _push(sync, client)
    except PlatformError as error:
        retry = error.transient and attempts < MAX_ATTEMPTS
        log.warning("Discount code %s not %s in %s (attempt %d): %s", sync.redemption.code,
                    "deleted" if removing else "created", sync.platform, attempts,
                    error.message)
        return _save(sync, status=Status.REMOVING if removing else Status.FAILED,
                     attempts=attempts, last_error=error.message,
                     next_attempt_at=now + _backoff(attempts, error.retry_after) if retry
                     else None)
    if removing:
        return _save(sync, status=Status.REMOVED, attempts=attempts, last_error="",
                     next_attempt_at=None)
    return _save(sync, status=Status.SYNCED, attempts=attempts, external_id=external_id,
                 synced_at=now, last_error="", next_attempt_at=None)


def _save(sync: DiscountSync, **fields) -> DiscountSync:
    """Write an attempt's outcome, unless the row moved meanwhile: synced by another worker
    (kept), or its voucher cancelled while the code was being made (the new code is then
    deleted right away)."""
    from .tasks import discount_sync_push_task

    with transaction.atomic():
        current = DiscountSync.objects.select_for_update().get(pk=sync.pk)
        if current.status != sync.status:
            if current.status == Status.NOT_NEEDED and fields.get("status") == Status.SYNCED:
                fields = {"status": Status.REMOVING, "external_id": fields["external_id"],
                          "synced_at": fields["synced_at"], "attempts": 0,
                          "next_attempt_at": timezone.now(), "last_error": ""}
                discount_sync_push_task.delay_on_commit(sync.pk)
            else:
                return current
        for name, value in fields.items():
            setattr(sync, name, value)
        sync.save(update_fields=[*fields, "updated_at"])
    return sync


def discount_syncs_withdraw(*, redemptions: list[Redemption]) -> int:
    """Cancelled vouchers: a code already in the shop is deleted there (removing, pushed
    after commit), so the points given back can't be spent twice; one not made yet never
    will be (not needed). Set-based: two UPDATEs."""
    syncs = DiscountSync.objects.filter(redemption__in=redemptions)
    now = timezone.now()
    syncs.filter(status__in=(Status.PENDING, Status.FAILED)).update(
        status=Status.NOT_NEEDED, next_attempt_at=None, updated_at=now,
        last_error=_("The voucher was cancelled before its code was created in the shop."))
    removing = list(syncs.filter(status=Status.SYNCED).values_list("pk", flat=True))
    DiscountSync.objects.filter(pk__in=removing).update(
        status=Status.REMOVING, attempts=0, next_attempt_at=now, updated_at=now)
    from .tasks import discount_sync_push_task

    for sync_id in removing:
        discount_sync_push_task.delay_on_commit(sync_id)
    return len(removing)


def discount_sync_retry(*, sync: DiscountSync) -> DiscountSync:
    """Staff push a voucher's code again (after fixing the connection, or to sync a voucher
    issued before it existed): pending, with a fresh count of attempts, and its push queued;
    a code being removed is deleted again. Refused: a synced code (discount_already_synced), a
    removed one or one whose voucher can no longer be used (discount_not_needed), a reward
    kind the platforms don't get (discount_not_supported)."""
    with transaction.atomic():
        sync = (DiscountSync.objects.select_for_update().select_related("redemption__reward")
                .get(pk=sync.pk))
        if sync.status == Status.SYNCED:
            raise Conflict(_("This code is already in the shop."),
                           code="discount_already_synced")
        if sync.status == Status.REMOVED or (
                sync.status != Status.REMOVING and sync.redemption.current_status() in (
                    Redemption.Status.CANCELLED, Redemption.Status.EXPIRED,
                    Redemption.Status.USED)):
            raise Conflict(_("This voucher can no longer be used: it needs no code."),
                           code="discount_not_needed")
        reason = _not_needed_reason(sync.redemption)
        if reason:
            raise Conflict(reason, code="discount_not_supported")
        if sync.status != Status.REMOVING:
            sync.status = Status.PENDING
            sync.platform = platform_connection_get().platform
        sync.attempts, sync.next_attempt_at = 0, timezone.now()
        sync.save(update_fields=["status", "attempts", "next_attempt_at", "platform",
                                 "updated_at"])
        from .tasks import discount_sync_push_task

        discount_sync_push_task.delay_on_commit(sync.pk)
    return sync


def discount_syncs_due(*, now: dt.datetime | None = None) -> int:
    """Queue the pushes whose retry is due and whose task was lost (or that ran without a
    broker, where nothing waits): the beat job every five minutes."""
    now = now or timezone.now()
    # Without a broker no task waits for the retry: the sweep is the retry.
    cutoff = now if current_app.conf.task_always_eager else now - SWEEP_GRACE
    due = list(DiscountSync.objects.filter(
        status__in=(Status.FAILED, Status.PENDING, Status.REMOVING),
        next_attempt_at__lte=cutoff,
    ).order_by("next_attempt_at").values_list("pk", flat=True)[:500])
    from .tasks import discount_sync_push_task

    for sync_id in due:
        discount_sync_push_task.delay(sync_id)
    return len(due)


def discount_sync_states(*, redemption_ids: list[int]) -> dict[int, str]:
    """Each voucher's code state in the shop's platform (a DiscountSync.Status value), for
    the pages and the widget that list vouchers; a voucher without a row is not in it."""
    return dict(DiscountSync.objects.filter(redemption_id__in=redemption_ids)
                .values_list("redemption_id", "status"))
