"""Fraud checks: each self-referral variant, friends who already ordered, shared devices, an IP
burst and the cap. Each verdict is written on the referral with its evidence."""

import datetime as dt

import pytest

from customers.models import Attribute
from loyalty.selectors import balance_get
from referrals import services
from referrals.models import Referral, ReferralCheck
from referrals.services.fraud import email_mailbox
from tests.factories import AttributeFactory, CustomerFactory, OrderFactory

from .conftest import BROWSER, FRIEND_IP, START, reload

pytestmark = pytest.mark.django_db
Status = Referral.Status
Blocked = services.referrals.ReferralBlocked


def check(referral, name, stage="signup") -> ReferralCheck:
    return ReferralCheck.objects.get(referral=referral, check_name=name, stage=stage)


@pytest.mark.parametrize(("address", "mailbox"), [
    ("Ada.Love.Lace+shop@Gmail.com", "adalovelace@gmail.com"),
    ("adalovelace@googlemail.com", "adalovelace@gmail.com"),
    ("a.d.a+x+y@example.com", "a.d.a@example.com"),
    ("  Grace@Example.COM ", "grace@example.com"),
])
def test_emails_are_normalised_to_the_mailbox_they_reach(address, mailbox):
    assert email_mailbox(address) == mailbox


def test_the_referrer_using_their_own_link_is_blocked_with_a_clear_reason(shop, program, code):
    with pytest.raises(Blocked) as error:
        shop.sign_up(code, "ada@example.com")

    assert "your own referral link" in error.value.message
    referral = Referral.objects.get()
    assert referral.status == Status.BLOCKED
    assert referral.voucher_code == ""
    assert check(referral, "self_referral_customer").outcome == "blocked"


@pytest.mark.parametrize("alias", [
    "a.da.lovelace@gmail.com", "adalovelace+friend@googlemail.com", "AdaLovelace@gmail.com",
])
def test_a_gmail_alias_of_the_referrer_is_blocked(shop, program, alias):
    referrer = CustomerFactory(email="ada.lovelace@gmail.com", first_name="Ada")
    code = services.referral_code_get_or_create(customer=referrer)

    with pytest.raises(Blocked):
        shop.sign_up(code, alias)

    referral = Referral.objects.get()
    result = check(referral, "self_referral_email")
    assert result.outcome == "blocked"
    assert result.evidence == {"friend": "adalovelace@gmail.com",
                               "referrer": "adalovelace@gmail.com"}
    assert referral.voucher is None


def test_a_plus_tag_on_another_domain_is_blocked(shop, program, code):
    with pytest.raises(Blocked):
        shop.sign_up(code, "ada+second@example.com")
    assert check(Referral.objects.get(), "self_referral_email").outcome == "blocked"


def test_a_friend_with_the_referrers_name_is_flagged_not_blocked(shop, program, code):
    referral = shop.sign_up(code, "someone@example.com", name="ada  LOVELACE")

    assert referral.status == Status.SIGNED_UP
    assert referral.voucher_code  # the friend still gets their voucher
    result = check(referral, "self_referral_name")
    assert result.outcome == "flagged"
    assert result.evidence == {"name": "ada lovelace"}


def test_the_same_name_and_address_is_blocked(shop, program, code, referrer):
    AttributeFactory(customer=referrer, key="postcode", value="NW1 6XE",
                     source_kind=Attribute.SourceKind.ACCOUNT)
    twin = CustomerFactory(email="a.l@example.org", first_name="Ada", last_name="Lovelace")
    AttributeFactory(customer=twin, key="postcode", value="nw1 6xe",
                     source_kind=Attribute.SourceKind.ACCOUNT)

    with pytest.raises(Blocked):
        shop.sign_up(code, "a.l@example.org")

    result = check(Referral.objects.get(), "self_referral_name")
    assert result.outcome == "blocked"
    assert result.evidence["same_address"] == ["postcode"]


def test_a_friend_who_already_ordered_is_blocked(shop, program, code):
    friend = CustomerFactory(email="old@example.com")
    OrderFactory(customer=friend)

    with pytest.raises(Blocked) as error:
        shop.sign_up(code, "old@example.com")

    assert "new customers" in error.value.message
    assert check(Referral.objects.get(), "existing_customer").evidence == {"earlier_orders": 1}


def test_a_friend_who_ordered_before_the_referral_order_is_blocked_at_the_order(
    shop, program, code, referrer, clock
):
    shop.pay("linus@example.com", order_id="1", when=START - dt.timedelta(days=40))
    shop.pay("linus@example.com", order_id="2", referral_code=code.code)

    referral = Referral.objects.get()
    assert referral.status == Status.BLOCKED
    assert check(referral, "existing_customer", "order").outcome == "blocked"
    clock.shift(dt.timedelta(days=30))
    services.referrals_reward_due()
    assert balance_get(customer=referrer)["balance"] == 0


def test_the_same_ip_and_browser_as_the_referrer_is_flagged(shop, program, code, clock):
    services.referral_owner_seen(code=code, ip=FRIEND_IP, user_agent=BROWSER)

    referral = shop.sign_up(code, "grace@example.com")
    shop.pay("grace@example.com", discount_codes=[referral.voucher_code])

    assert check(referral, "same_device").outcome == "flagged"
    assert reload(referral).status == Status.FLAGGED


def test_the_same_ip_with_another_browser_is_a_household_and_passes(shop, program, code, clock):
    services.referral_owner_seen(code=code, ip=FRIEND_IP, user_agent="Firefox on a laptop")

    referral = shop.sign_up(code, "grace@example.com")
    shop.pay("grace@example.com", discount_codes=[referral.voucher_code])

    assert check(referral, "same_device").outcome == "passed"
    assert reload(referral).status == Status.PENDING


def test_the_same_device_long_ago_passes(shop, program, code, clock):
    services.referral_owner_seen(code=code, ip=FRIEND_IP, user_agent=BROWSER,
                                 now=START - dt.timedelta(days=5))

    referral = shop.sign_up(code, "grace@example.com")

    assert check(referral, "same_device").outcome == "passed"


def test_an_ip_burst_flags_the_referrals_past_the_limit(shop, program, code, clock):
    program.ip_referrals_7_days = 3
    program.save()

    referrals = [shop.sign_up(code, f"friend{i}@example.com") for i in range(5)]

    outcomes = [check(r, "ip_burst").outcome for r in referrals]
    assert outcomes == ["passed", "passed", "passed", "flagged", "flagged"]
    assert check(referrals[4], "ip_burst").evidence == {
        "referrals_from_ip_7_days": 5, "limit": 3}
    for i, referral in enumerate(referrals):
        shop.pay(f"friend{i}@example.com", order_id=f"o{i}",
                 discount_codes=[referral.voucher_code])
    assert [reload(r).status for r in referrals] == [Status.PENDING] * 3 + [Status.FLAGGED] * 2


def test_an_ip_burst_spread_over_more_than_7_days_passes(shop, program, code, clock):
    program.ip_referrals_7_days = 1
    program.save()
    shop.sign_up(code, "first@example.com")
    clock.shift(dt.timedelta(days=8))

    referral = shop.sign_up(code, "second@example.com")

    assert check(referral, "ip_burst").outcome == "passed"


def test_conversions_over_the_cap_are_blocked(shop, program, code, referrer, clock):
    program.cap_per_30_days = 2
    program.ip_referrals_7_days = 100
    program.save()
    for i in range(3):
        shop.pay(f"friend{i}@example.com", order_id=f"o{i}", referral_code=code.code)

    referrals = list(Referral.objects.order_by("pk"))
    assert [r.status for r in referrals] == [Status.PENDING, Status.PENDING, Status.BLOCKED]
    assert check(referrals[2], "cap", "order").evidence == {"conversions_30_days": 2, "cap": 2}

    clock.shift(dt.timedelta(days=31))
    shop.pay("friend9@example.com", order_id="o9", referral_code=code.code,
             when=START + dt.timedelta(days=31))
    assert Referral.objects.order_by("pk").last().status == Status.PENDING


def test_every_check_is_written_with_its_evidence(shop, program, code, clock):
    referral = shop.sign_up(code, "grace@example.com")
    shop.pay("grace@example.com", discount_codes=[referral.voucher_code])

    signup = set(referral.checks.filter(stage="signup").values_list("check_name", flat=True))
    order = set(referral.checks.filter(stage="order").values_list("check_name", flat=True))
    assert signup == {"self_referral_customer", "self_referral_email", "self_referral_name",
                      "existing_customer", "same_device", "ip_burst"}
    assert order == {"self_referral_customer", "self_referral_email", "self_referral_name",
                     "existing_customer", "voucher_used_by_other", "cap"}
    assert set(referral.checks.values_list("outcome", flat=True)) == {"passed"}


def test_the_referrer_using_a_made_up_friends_voucher_is_blocked(
    shop, program, code, referrer, clock
):
    fake = shop.sign_up(code, "not-really-a-friend@example.net")

    shop.pay("ada@example.com", discount_codes=[fake.voucher_code])

    fake = reload(fake)
    assert fake.status == Status.BLOCKED
    assert check(fake, "self_referral_customer", "order").outcome == "blocked"
    assert check(fake, "voucher_used_by_other", "order").outcome == "flagged"
    clock.shift(dt.timedelta(days=30))
    services.referrals_reward_due()
    assert balance_get(customer=referrer)["balance"] == 0


def test_a_voucher_passed_on_to_someone_else_is_flagged(shop, program, code, clock):
    referral = shop.sign_up(code, "grace@example.com")

    shop.pay("grace.sister@example.org", discount_codes=[referral.voucher_code])

    referral = reload(referral)
    assert referral.status == Status.FLAGGED
    assert check(referral, "voucher_used_by_other", "order").evidence["ordered"] != \
        referral.friend_id
