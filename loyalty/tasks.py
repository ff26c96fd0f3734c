"""Loyalty's background work: thin, idempotent Celery tasks that call one service each.

Periodic tasks run on the beat schedules created by migration 0006 (editable in admin under
Periodic tasks); each has a management command for shops that prefer cron. Email tasks are
scheduled after commit by the services that cause them."""

from django.db import OperationalError

from kernel.tasks import LONG, flywheel_task


@flywheel_task(name="loyalty.release_points", limits=LONG)
def release_points_task() -> int:
    """Make held points available once their return window has passed."""
    from loyalty.services import points_release_due

    return points_release_due()


@flywheel_task(name="loyalty.expire_points", limits=LONG)
def expire_points_task() -> int:
    """Expire the points due under the program's expiry rule."""
    from loyalty.services import points_expire_due

    return points_expire_due()


@flywheel_task(name="loyalty.send_expiry_reminders", limits=LONG)
def send_expiry_reminders_task() -> int:
    """Warn customers whose points expire within the reminder window, once per date."""
    from loyalty.services import points_expiry_remind

    return points_expiry_remind()


@flywheel_task(name="loyalty.award_birthday_points", limits=LONG)
def award_birthday_points_task() -> int:
    """Record today's birthdays once a year; the birthday rule awards the points."""
    from loyalty.services import birthday_activities_record

    return birthday_activities_record()


@flywheel_task(name="loyalty.expire_vouchers")
def expire_vouchers_task() -> int:
    """Mark issued vouchers past their date as expired."""
    from loyalty.services import vouchers_expire_due

    return vouchers_expire_due()


@flywheel_task(name="loyalty.points_earned_emails")
def points_earned_emails_task(entry_ids: list[int]) -> None:
    """The "you earned points" emails of one transaction's awards, in one task."""
    from loyalty.services import points_earned_emails_send

    points_earned_emails_send(entry_ids=entry_ids)


@flywheel_task(name="loyalty.points_expiring_email")
def points_expiring_email_task(customer_id: int, activity_ids: list[int]) -> None:
    from loyalty.services import points_expiring_email_send

    points_expiring_email_send(customer_id=customer_id, activity_ids=activity_ids)


@flywheel_task(name="loyalty.voucher_issued_email")
def voucher_issued_email_task(redemption_id: int) -> None:
    from loyalty.services import voucher_issued_email_send

    voucher_issued_email_send(redemption_id=redemption_id)


@flywheel_task(name="loyalty.tier_up_email")
def tier_up_email_task(change_id: int) -> None:
    """Email the customer that they reached a tier. Sent once per tier change (the change's
    id is the cause); nothing is sent to erased customers or without an address."""
    from loyalty.services.emails import tier_up_email_send

    tier_up_email_send(change_id=change_id)


@flywheel_task(name="loyalty.recalculate_tiers", limits=LONG)
def tiers_recalculate_task() -> None:
    """After tiers were edited: move up who now qualifies (never down) and refresh names."""
    from loyalty.services import tiers_recalculate

    tiers_recalculate()


@flywheel_task(name="loyalty.reevaluate_tiers", limits=LONG)
def tiers_reevaluate_task() -> None:
    """The re-evaluation at period end (beat schedule "loyalty: re-evaluate tiers")."""
    from loyalty.services import tiers_reevaluate

    tiers_reevaluate()


@flywheel_task(name="loyalty.winback_tasks.winback_email_task",
               retry_on=(OperationalError, OSError), backoff_max=600)
def winback_email_task(redemption_id: int) -> None:
    """Email the win-back voucher. A retry after a send error may send it twice (SMTP has no
    idempotency), which is the lesser evil than never."""
    from loyalty.services.emails import winback_email_send

    winback_email_send(redemption_id=redemption_id)
