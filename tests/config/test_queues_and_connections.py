"""How the production stack is wired: which queue each task goes to, and when a kept database
connection is health-checked."""

import time
from unittest import mock

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection, connections

from config.celery import app

EMAIL_TASKS = [
    "loyalty.points_earned_emails", "loyalty.points_expiring_email",
    "loyalty.voucher_issued_email", "loyalty.tier_up_email",
    "loyalty.winback_tasks.winback_email_task", "referrals.nps_invitation_send",
    "referrals.nps_follow_up_alert", "referrals.tasks.referral_friend_email_task",
    "referrals.tasks.referral_flagged_alert_task", "customers.tasks.signup_email_task",
]


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_emails_have_a_queue_of_their_own_so_a_slow_mail_server_never_holds_up_orders():
    assert {name for name in app.tasks if "email" in name or "alert" in name} <= {
        *EMAIL_TASKS, *(name for name in app.tasks if name.startswith("celery."))}
    assert {queue_of(name) for name in EMAIL_TASKS} == {"email"}
    assert queue_of("customers.tasks.deliveries_apply_task") == "ingest"
    assert queue_of("loyalty.expire_points") == "celery"


def a_request(queries: int = 1) -> None:
    request_started.send(sender=None)
    for _ in range(queries):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 2")
    request_finished.send(sender=None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_used_moments_ago_is_not_health_checked_one_idle_for_long_is(settings):
    settings.DB_HEALTH_CHECK_IDLE = 0.2
    connection.settings_dict["CONN_MAX_AGE"] = 60
    connection.settings_dict["CONN_HEALTH_CHECKS"] = True
    connection.close()
    try:
        a_request()  # a new connection: healthy by definition
        with mock.patch.object(type(connections["default"]), "is_usable", autospec=True,
                               return_value=True) as checks:
            a_request(queries=3)
            a_request()
            assert checks.call_count == 0
            time.sleep(0.3)
            a_request(queries=3)
            assert checks.call_count == 1
    finally:
        connection.close()
        connection.settings_dict["CONN_MAX_AGE"] = 0
