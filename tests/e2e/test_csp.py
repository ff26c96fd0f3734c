"""The Content-Security-Policy holds on the pages people use: the shop's pages, the admin and
the API docs load and work with no violation in the browser's console."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from loyalty.services import voucher_grant
from referrals.nps.tokens import token_make
from referrals.services import referral_code_get_or_create
from tests.factories import (
    CustomerFactory,
    NpsInvitationFactory,
    OrderFactory,
    ProductFactory,
    QuizVersionFactory,
    ReferralProgramFactory,
    RewardFactory,
    TierFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def watch(page) -> list[str]:
    """Every CSP violation the browser reports, as its console text."""
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    return violations


def log_in(page, email: str, path: str = "/account/login/") -> None:
    page.goto(path)
    page.get_by_label(re.compile("Email address|Username")).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Log in")).click()


@pytest.fixture
def shop():
    ReferralProgramFactory()
    TierFactory(name="Member")
    ada = CustomerFactory(email="ada@example.com", first_name="Ada",
                          user=UserFactory(email="ada@example.com", password=PASSWORD))
    voucher_grant(customer=ada, reward=RewardFactory(), key="csp", notify=False)
    ProductFactory(sku="GEL", tags=["oily-skin"])
    QuizVersionFactory(quiz__slug="skin")
    paid = timezone.now() - dt.timedelta(days=15)
    invitation = NpsInvitationFactory(customer=ada, order=OrderFactory(
        customer=ada, placed_at=paid, paid_at=paid))
    return {"ada": ada, "code": referral_code_get_or_create(customer=ada).code,
            "nps": token_make(invitation_id=invitation.pk, nonce=invitation.nonce, score=None)}


def test_the_shoppers_pages_run_under_the_policy(page, shop):
    violations = watch(page)

    for path in ["/", "/account/signup/", f"/r/{shop['code']}/", f"/nps/{shop['nps']}/",
                 "/quizzes/skin/"]:
        response = page.goto(path)
        assert response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"]
    page.get_by_role("button", name=re.compile("Start")).click()
    expect(page.get_by_role("group")).to_be_visible()
    log_in(page, "ada@example.com")
    expect(page.get_by_role("heading", name=re.compile("Ada|account", re.I)).first).to_be_visible()
    page.get_by_role("button", name="Copy code").first.click()  # copy.js runs

    assert violations == []


def test_the_admin_runs_under_the_policy(page, shop):
    UserFactory(email="staff@example.com", password=PASSWORD, is_staff=True, is_superuser=True)
    violations = watch(page)

    log_in(page, "staff@example.com", "/admin/login/")
    expect(page.get_by_role("link", name="Log out").or_(
        page.get_by_role("button", name="Log out"))).to_be_visible()
    for path in ["/admin/", "/admin/customers/customer/", f"/admin/customers/customer/"
                 f"{shop['ada'].pk}/change/", "/admin/loyalty/loyaltyprogram/report/",
                 "/admin/loyalty/tier/add/", "/admin/customers/apikey/add/"]:
        assert page.goto(path).status == 200, path
    page.get_by_label("Name").fill("Checkout")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_label("API key")).to_be_visible()

    assert violations == []


def test_the_api_docs_run_under_the_policy(page, shop):
    UserFactory(email="staff@example.com", password=PASSWORD, is_staff=True)
    violations = watch(page)

    log_in(page, "staff@example.com", "/admin/login/")
    page.goto("/api/docs/")

    expect(page.get_by_text("Flywheel API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/customers/").first).to_be_visible()
    assert violations == []
