"""Staff in admin: program settings, the review queue, the numbers and the top advocates."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from referrals.models import Referral

from .conftest import START, reload

pytestmark = pytest.mark.django_db


def flagged(shop, code, email="grace@example.com", order_id="5001"):
    referral = shop.sign_up(code, email, name="Ada Lovelace")
    shop.pay(email, order_id=order_id, discount_codes=[referral.voucher_code])
    assert reload(referral).status == Referral.Status.FLAGGED
    return referral


def test_every_referral_admin_page_opens(admin_client, shop, program, code, clock):
    referral = flagged(shop, code)
    for name, args in [
        ("referrals_referralprogram_change", [program.pk]),
        ("referrals_referral_changelist", []), ("referrals_referral_change", [referral.pk]),
        ("referrals_flaggedreferral_changelist", []),
        ("referrals_flaggedreferral_change", [referral.pk]),
        ("referrals_referralcode_changelist", []), ("referrals_referralcode_change", [code.pk]),
        ("referrals_referral_advocates", []),
    ]:
        assert admin_client.get(reverse(f"admin:{name}", args=args)).status_code == 200, name


def test_the_program_list_opens_the_one_settings_page(admin_client, program):
    response = admin_client.get(reverse("admin:referrals_referralprogram_changelist"))
    assert response.status_code == 302
    assert response.url == reverse("admin:referrals_referralprogram_change", args=[1])


def test_the_review_queue_lists_flagged_referrals_with_the_checks_that_fired(
    admin_client, shop, program, code, clock
):
    referral = flagged(shop, code)
    shop.sign_up(code, "clean@example.com")

    response = admin_client.get(reverse("admin:referrals_flaggedreferral_changelist"))

    assert response.status_code == 200
    assert "grace@example.com" in response.text
    assert "clean@example.com" not in response.text
    assert "self_referral_name (flagged)" in response.text
    detail = admin_client.get(reverse("admin:referrals_referral_change", args=[referral.pk]))
    assert "The friend has the referrer&#x27;s full name." in detail.text


def test_staff_approve_from_the_queue_with_a_reason(admin_client, shop, program, code, clock):
    referral = flagged(shop, code)
    url = reverse("admin:referrals_flaggedreferral_changelist")
    data = {"action": "approve", "_selected_action": [referral.pk]}

    asked = admin_client.post(url, data)
    assert asked.status_code == 200 and "Reason" in asked.text
    assert reload(referral).status == Referral.Status.FLAGGED

    missing = admin_client.post(url, {**data, "apply": "yes", "reason": ""})
    assert missing.status_code == 200
    assert reload(referral).status == Referral.Status.FLAGGED

    done = admin_client.post(url, {**data, "apply": "yes", "reason": "Known household"},
                             follow=True)
    assert done.status_code == 200
    referral = reload(referral)
    assert referral.status == Referral.Status.PENDING
    assert referral.reason == "Known household"
    assert referral.reviewed_by.is_superuser


def test_staff_reject_from_the_queue(admin_client, shop, program, code, clock):
    referral = flagged(shop, code)
    admin_client.post(reverse("admin:referrals_flaggedreferral_changelist"), {
        "action": "reject", "_selected_action": [referral.pk], "apply": "yes",
        "reason": "Same person",
    })
    assert reload(referral).status == Referral.Status.REJECTED


def test_the_numbers_and_the_leaderboard(admin_client, shop, program, code, clock):
    for i in range(3):
        referral = shop.sign_up(code, f"friend{i}@example.com")
        if i < 2:
            shop.pay(f"friend{i}@example.com", order_id=f"o{i}", total="100.00",
                     discount_codes=[referral.voucher_code])

    listing = admin_client.get(reverse("admin:referrals_referral_changelist"))
    assert "Conversion rate" in listing.text
    assert listing.context["stats"]["conversions"] == 2
    assert str(listing.context["stats"]["conversion_rate"]) == "66.7"
    assert listing.context["stats"]["revenue"] == Decimal("200.00")
    # Two used 10% welcome vouchers on 100.00 orders.
    assert listing.context["stats"]["reward_cost"] == Decimal("20.00")

    board = admin_client.get(reverse("admin:referrals_referral_advocates"))
    assert board.context["rows"][0]["email"] == "ada@example.com"
    assert board.context["rows"][0]["conversions"] == 2
    assert "Ada Lovelace" in board.text


def test_the_numbers_for_a_period(admin_client, shop, program, code, clock):
    shop.sign_up(code, "old@example.com", now=START - dt.timedelta(days=60))
    shop.sign_up(code, "new@example.com")

    url = reverse("admin:referrals_referral_changelist")
    assert admin_client.get(url).context["stats"]["signups"] == 2
    recent = admin_client.get(url, {"period": "30"})
    assert recent.status_code == 200
    assert recent.context["stats"]["signups"] == 1
    assert len(recent.context["cl"].result_list) == 2  # the list itself is not filtered


def test_each_referrers_numbers_in_the_codes_list(admin_client, client, shop, program, code,
                                                  clock):
    for ip in ("198.51.100.1", "198.51.100.2"):
        client.get(f"/r/{code.code}/", REMOTE_ADDR=ip)
    referral = shop.sign_up(code, "grace@example.com")
    shop.sign_up(code, "linus@example.com")
    shop.pay("grace@example.com", total="64.00", discount_codes=[referral.voucher_code])

    response = admin_client.get(reverse("admin:referrals_referralcode_changelist"),
                                {"o": "-4"})

    row = response.context["cl"].result_list[0]
    assert (row.clicks_sum, row.signups_count, row.conversions_count) == (2, 2, 1)
    assert row.revenue_sum == Decimal("64.00")


def test_a_reward_voucher_for_the_referrer_must_be_chosen(admin_client, program):
    url = reverse("admin:referrals_referralprogram_change", args=[program.pk])
    form = {
        "is_active": "on", "friend_reward": program.friend_reward_id,
        "referrer_reward_kind": "reward", "referrer_reward": "", "first_order_only": "on",
        "minimum_order_total": "0", "hold_days": "14", "cap_per_30_days": "10",
        "attribution_days": "30", "ip_referrals_7_days": "3", "same_device_hours": "72",
    }

    refused = admin_client.post(url, form)
    assert refused.status_code == 200
    assert "Choose the reward voucher the referrer gets" in refused.text

    saved = admin_client.post(url, {**form, "referrer_reward_kind": "points", "hold_days": "7"})
    assert saved.status_code == 302
    program.refresh_from_db()
    assert program.hold_days == 7
