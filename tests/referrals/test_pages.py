"""The share link's page, click counting and its rate limit, the share card and the account
panel."""

import io
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from referrals import services
from referrals.models import Referral, ReferralClick, ReferralCode
from referrals.models.referrals import CODE_ALPHABET, CODE_LENGTH
from referrals.selectors import referral_share_get
from referrals.services.referrals import CLICKS_PER_LINK_PER_DAY, LINKS_PER_IP_PER_DAY
from tests.factories import CustomerFactory, UserFactory

from .conftest import BROWSER, FRIEND_IP

pytestmark = pytest.mark.django_db


def visit(client, code, ip=FRIEND_IP):
    return client.get(f"/r/{code}/", REMOTE_ADDR=ip, HTTP_USER_AGENT=BROWSER)


def test_codes_are_short_unambiguous_unique_and_made_once(referrer):
    first = services.referral_code_get_or_create(customer=referrer)
    again = services.referral_code_get_or_create(customer=referrer)
    others = {services.referral_code_get_or_create(customer=CustomerFactory()).code
              for _ in range(30)}

    assert again.pk == first.pk
    assert len(first.code) == CODE_LENGTH
    assert set(first.code) <= set(CODE_ALPHABET)
    assert not set("01OIL5S2Z8B") & set(CODE_ALPHABET)
    assert len(others | {first.code}) == 31


def test_a_code_collision_retries_with_a_new_code(referrer):
    taken = services.referral_code_get_or_create(customer=CustomerFactory())
    picks = iter(taken.code + "AAAAAAA")
    with mock.patch("referrals.services.referrals.secrets.choice", lambda _: next(picks)):
        code = services.referral_code_get_or_create(customer=referrer)
    assert code.code == "AAAAAAA"


def test_the_share_links_are_plain_urls_with_the_link(program, referrer):
    share = referral_share_get(customer=referrer)

    assert share.url == f"http://127.0.0.1:8000/r/{share.code}/"
    quoted = f"http%3A%2F%2F127.0.0.1%3A8000%2Fr%2F{share.code}%2F"
    assert share.whatsapp_url.startswith("https://wa.me/?text=") and quoted in share.whatsapp_url
    assert share.x_url.startswith("https://x.com/intent/post?") and quoted in share.x_url
    assert share.facebook_url == f"https://www.facebook.com/sharer/sharer.php?u={quoted}"
    assert share.email_url.startswith("mailto:?subject=")
    assert "10%25%20off%20your%20first%20order" in share.email_url


def test_the_landing_page_shows_the_offer_and_counts_the_click(client, program, code):
    response = visit(client, code.code.lower())

    assert response.status_code == 200
    assert "Ada sent you a gift" in response.text
    assert "10% off your first order" in response.text
    assert 'name="email"' in response.text
    assert ReferralClick.objects.get().count == 1


def test_an_unknown_code_is_a_404(client, program):
    assert visit(client, "NOPE123").status_code == 404
    assert ReferralClick.objects.count() == 0


def test_a_thousand_clicks_from_one_ip_are_rate_limited_without_growth(client, program, code):
    answers = [visit(client, code.code).status_code for _ in range(1000)]

    assert answers[:CLICKS_PER_LINK_PER_DAY] == [200] * CLICKS_PER_LINK_PER_DAY
    assert set(answers[CLICKS_PER_LINK_PER_DAY:]) == {429}
    assert ReferralClick.objects.count() == 1
    assert ReferralClick.objects.get().count == CLICKS_PER_LINK_PER_DAY
    # Another visitor is not affected.
    assert visit(client, code.code, ip="198.51.100.1").status_code == 200


def test_one_ip_opening_many_links_adds_a_bounded_number_of_rows(client, program):
    codes = [services.referral_code_get_or_create(customer=CustomerFactory()).code
             for _ in range(LINKS_PER_IP_PER_DAY + 5)]

    answers = [visit(client, code).status_code for code in codes]

    assert answers.count(429) == 5
    assert ReferralClick.objects.count() == LINKS_PER_IP_PER_DAY


def test_the_ip_address_is_never_stored(client, program, code):
    visit(client, code.code)
    row = ReferralClick.objects.get()
    assert FRIEND_IP not in row.ip_hash and len(row.ip_hash) == 32


def test_a_friend_gives_their_email_and_sees_their_code(
    client, program, code, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/r/{code.code}/", {"email": "grace@example.com", "name": ""},
                               REMOTE_ADDR=FRIEND_IP, HTTP_USER_AGENT=BROWSER)

    referral = Referral.objects.get()
    assert response.status_code == 200
    assert referral.voucher_code in response.text
    assert referral.ip_hash and referral.ua_hash
    assert mail.outbox[0].to == ["grace@example.com"]


def test_typing_a_friends_email_again_does_not_show_their_voucher(
    client, program, code, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/r/{code.code}/", {"email": "grace@example.com"}, REMOTE_ADDR=FRIEND_IP)
    voucher = Referral.objects.get().voucher_code
    mail.outbox.clear()

    stranger = client.post(f"/r/{code.code}/", {"email": " Grace@Example.com"},
                           REMOTE_ADDR="198.51.100.66")

    assert stranger.status_code == 200
    assert voucher not in stranger.text
    assert "already has its code from this link" in stranger.text
    assert Referral.objects.count() == 1 and mail.outbox == []


def test_a_bad_email_gets_a_clear_error_and_writes_nothing(client, program, code):
    response = client.post(f"/r/{code.code}/", {"email": "not-an-email"})

    assert response.status_code == 400
    assert "Enter a valid email address." in response.text
    assert Referral.objects.count() == 0


def test_the_referrer_on_their_own_link_is_told_why(client, program, code):
    response = client.post(f"/r/{code.code}/", {"email": "ADA@example.com"})

    assert response.status_code == 422
    assert "This is your own referral link" in response.text
    assert Referral.objects.get().voucher_code == ""


def test_an_existing_profile_is_not_renamed_from_the_public_form(client, program, code):
    friend = CustomerFactory(email="grace@example.com", first_name="Grace", last_name="Hopper")
    client.post(f"/r/{code.code}/", {"email": "grace@example.com", "name": "Mallory Evil"})
    friend.refresh_from_db()
    assert friend.full_name == "Grace Hopper"


def _signed_in(client, customer):
    user = UserFactory(email=customer.email)
    customer.user = user
    customer.save()
    client.force_login(user)


def test_the_account_page_shows_the_code_links_card_and_referrals(client, program, referrer):
    _signed_in(client, referrer)
    code = services.referral_code_get_or_create(customer=referrer)
    services.referral_signup(code=code, email="grace@example.com", name="Grace Hopper")

    response = client.get("/account/", REMOTE_ADDR="192.0.2.1", HTTP_USER_AGENT="Ada's phone")

    assert response.status_code == 200
    text = response.text
    assert "Refer a friend" in text
    assert code.code in text and f"/r/{code.code}/" in text
    assert "https://wa.me/?text=" in text
    assert "/account/referral/card.png" in text
    assert "Grace" in text and "grace@example.com" not in text
    code.refresh_from_db()
    assert code.owner_seen_at is not None and code.owner_ip_hash


def test_the_share_card_is_a_png_drawn_once(client, program, referrer):
    _signed_in(client, referrer)

    first = client.get("/account/referral/card.png")
    with mock.patch("referrals.services.referrals._draw_card") as draw:
        second = client.get("/account/referral/card.png")

    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "image/png"
    assert first.content == second.content
    draw.assert_not_called()
    image = Image.open(io.BytesIO(first.content))
    assert image.size == (1080, 1080)
    assert ReferralCode.objects.get(customer=referrer).share_card_key


def test_the_share_card_needs_a_login(client, program):
    response = client.get("/account/referral/card.png")
    assert response.status_code == 302


def test_the_pages_cost_the_same_queries_however_many_referrals(
    client, program, referrer
):
    _signed_in(client, referrer)
    code = services.referral_code_get_or_create(customer=referrer)
    client.get("/account/")  # first visit makes the code and notes the device

    def costs(visitor_ip):
        with CaptureQueriesContext(connection) as account:
            client.get("/account/")
        with CaptureQueriesContext(connection) as landing:
            visit(client, code.code, ip=visitor_ip)
        return len(account), len(landing)

    services.referral_signup(code=code, email="first@example.com", ip="192.0.2.250")
    few = costs("198.51.100.77")
    for i in range(40):
        services.referral_signup(code=code, email=f"friend{i}@example.com", ip=f"192.0.2.{i}")
    many = costs("198.51.100.78")
    assert many == few


def test_one_ip_signing_up_friends_all_day_is_stopped_with_a_clear_page(client, program, code):
    from referrals.services.referrals import SIGNUPS_PER_IP_PER_DAY

    answers = [client.post(f"/r/{code.code}/", {"email": f"bot{i}@example.com"},
                           REMOTE_ADDR="198.51.100.9").status_code
               for i in range(SIGNUPS_PER_IP_PER_DAY + 3)]

    assert answers == [200] * SIGNUPS_PER_IP_PER_DAY + [429] * 3
    assert Referral.objects.count() == SIGNUPS_PER_IP_PER_DAY
    again = client.post(f"/r/{code.code}/", {"email": "bot0@example.com"},
                        REMOTE_ADDR="198.51.100.9")
    assert again.status_code == 200  # someone already signed up is told to check their inbox
    refused = client.post(f"/r/{code.code}/", {"email": "late@example.com"},
                          REMOTE_ADDR="198.51.100.9")
    assert "Too many sign-ups from your network today" in refused.text


def test_the_service_refuses_a_bad_email(program, code):
    with pytest.raises(services.referrals.FlywheelError) as error:
        services.referral_signup(code=code, email="nope")
    assert error.value.code == "invalid_email"
    assert Referral.objects.count() == 0


def test_a_signed_in_visitor_finds_their_email_filled_in(client, program, code):
    friend = CustomerFactory(email="grace@example.com", first_name="Grace", last_name="Hopper")
    _signed_in(client, friend)

    response = visit(client, code.code)

    assert 'value="grace@example.com"' in response.text
    assert "This is your own referral link" not in response.text


def test_the_referrer_opening_their_own_link_is_told_so(client, program, referrer, code):
    _signed_in(client, referrer)

    response = visit(client, code.code)

    assert "This is your own referral link" in response.text
    assert 'value="ada@example.com"' not in response.text
