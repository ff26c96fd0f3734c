"""Every task is made with the one preset under the name it has always had: beat schedules
(written by migrations) and messages already queued find their task by that name. What one
transaction hands a task goes out together, once it commits."""

import pytest
from django.db import transaction
from django_celery_beat.models import PeriodicTask

from config.celery import app
from kernel.tasks import delay_on_commit_gathered

# The registered names, as they were before the preset (`celery -A config inspect registered`);
# renaming one would orphan its beat schedule and the messages in the queue.
NAMES = {
    "customers.tasks.deliveries_apply_task",
    "customers.tasks.outbound_deliveries_due_task",
    "customers.tasks.outbound_delivery_send_task",
    "customers.tasks.segments_recompute_task",
    "customers.tasks.signup_email_task",
    "loyalty.award_birthday_points",
    "loyalty.expire_points",
    "loyalty.expire_vouchers",
    "loyalty.points_earned_emails",
    "loyalty.points_expiring_email",
    "loyalty.recalculate_tiers",
    "loyalty.reevaluate_tiers",
    "loyalty.release_points",
    "loyalty.send_expiry_reminders",
    "loyalty.tier_up_email",
    "loyalty.voucher_issued_email",
    "loyalty.winback_tasks.winback_email_task",
    "referrals.nps_follow_up_alert",
    "referrals.nps_invitation_send",
    "referrals.nps_invitations_send_due",
    "referrals.tasks.referral_flagged_alert_task",
    "referrals.tasks.referral_friend_email_task",
    "referrals.tasks.referrals_reward_due_task",
    "storefront.discount_sync_push",
    "storefront.discount_syncs_due",
}


def registered() -> dict:
    app.loader.import_default_modules()  # what a worker imports when it starts
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_a_worker_registers_every_task_under_its_pinned_name():
    # The win-back email is among them: it used to live outside loyalty.tasks, where a worker
    # never looked, so a worker that had not made an offer itself refused its messages.
    assert set(registered()) == NAMES


def test_every_task_is_acknowledged_late_and_has_time_limits():
    for name, task in registered().items():
        assert task.acks_late and task.reject_on_worker_lost, name
        assert 0 < task.soft_time_limit < task.time_limit, name


def test_the_retry_differences_are_kept():
    tasks = registered()
    assert tasks["customers.tasks.deliveries_apply_task"].max_retries == 8
    assert tasks["customers.tasks.outbound_delivery_send_task"].max_retries is None
    assert not getattr(tasks["customers.tasks.outbound_deliveries_due_task"], "autoretry_for",
                       ())
    assert tasks["referrals.nps_invitation_send"].max_retries == 6
    assert OSError in tasks["loyalty.winback_tasks.winback_email_task"].autoretry_for
    assert tasks["loyalty.expire_points"].time_limit == 1900
    assert tasks["loyalty.voucher_issued_email"].time_limit == 90


@pytest.mark.django_db
def test_every_beat_schedule_names_a_registered_task():
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))
    assert scheduled and scheduled <= NAMES


class Queue:
    """A task that records the messages it would send."""

    name = "tests.gathered"

    def __init__(self):
        self.messages = []

    def delay(self, items):
        self.messages.append(items)


@pytest.mark.django_db
def test_what_one_transaction_hands_a_task_goes_out_as_one_message_after_commit(
        django_capture_on_commit_callbacks):
    queue = Queue()
    with django_capture_on_commit_callbacks(execute=True):
        delay_on_commit_gathered(queue, [1, 2])
        delay_on_commit_gathered(queue, [3])
        assert queue.messages == []  # nothing before the commit
    assert queue.messages == [[1, 2, 3]]
    with django_capture_on_commit_callbacks(execute=True):
        delay_on_commit_gathered(queue, [4])
    assert queue.messages == [[1, 2, 3], [4]]  # the next transaction: a message of its own


@pytest.mark.django_db
def test_what_a_rolled_back_savepoint_handed_over_is_not_sent(
        django_capture_on_commit_callbacks):
    queue = Queue()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            delay_on_commit_gathered(queue, [1])
            raise RuntimeError("the savepoint is rolled back")
        delay_on_commit_gathered(queue, [2])
    assert queue.messages == [[2]]


def test_outside_a_transaction_the_message_goes_at_once():
    queue = Queue()
    delay_on_commit_gathered(queue, (1, 2))
    assert queue.messages == [[1, 2]]
