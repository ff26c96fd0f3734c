"""A customer follows the score link in their NPS email, answers the follow-up and, as a
promoter, sees their referral link; on a phone, with the keyboard, without a mouse."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Activity
from referrals.nps.models import NpsResponse, NpsSurvey
from referrals.nps.services import nps_invitation_create
from tests.factories import CustomerFactory, OrderFactory, ReferralProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390


def email_link(live_server, score: int) -> str:
    """The link for `score` in the one survey email sent."""
    [message] = mail.outbox
    links = re.findall(r"https?://\S+/nps/\S+/", message.body)
    assert len(links) == 11
    return links[score].replace("http://127.0.0.1:8000", live_server.url)


def survey_sent_to(customer):
    paid = timezone.now() - dt.timedelta(days=15)
    order = OrderFactory(customer=customer, placed_at=paid, paid_at=paid)
    nps_invitation_create(order=order)  # emails after commit (no test transaction here)


def test_a_promoter_answers_from_the_email_and_sees_their_referral_link(page, live_server,
                                                                        settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    ReferralProgramFactory()
    customer = CustomerFactory(email="ada@example.com", first_name="Ada", accepts_marketing=True)
    survey_sent_to(customer)

    page.goto(email_link(live_server, 10))

    expect(page.get_by_text("Your score: 10 out of 10. Thank you!")).to_be_visible()
    question = NpsSurvey.get().promoter_question
    expect(page.get_by_role("heading", name=question)).to_be_visible()
    comment = page.get_by_label("Your answer (optional)")
    comment.focus()
    comment.fill("The serum is wonderful")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Thank you for your answer")).to_be_visible()
    expect(page.get_by_role("heading", name="Share the love")).to_be_visible()
    share_link = page.get_by_label("Your share link")
    code = customer.referral_code_row.code
    expect(share_link).to_have_value(re.compile(rf"/r/{code}/?$"))
    expect(page.get_by_role("link", name="WhatsApp")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH

    response = NpsResponse.objects.get()
    assert (response.score, response.comment) == (10, "The serum is wonderful")
    assert Activity.objects.filter(customer=customer, kind="nps_answered").count() == 1

    page.goto(email_link(live_server, 3))
    expect(page.get_by_role("heading", name="You've already answered this survey")).to_be_visible()
    assert NpsResponse.objects.get().score == 10


def test_a_detractor_is_told_someone_will_get_in_touch(page, live_server, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    customer = CustomerFactory(accepts_marketing=True)
    survey_sent_to(customer)

    page.goto(email_link(live_server, 2))
    expect(page.get_by_role("heading", name=NpsSurvey.get().detractor_question)).to_be_visible()
    page.get_by_label("Your answer (optional)").fill("The parcel arrived broken")
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_text("Someone from our team will read your answer")).to_be_visible()
    expect(page.get_by_label("Your share link")).to_have_count(0)
