"""The NPS survey's questions in every language: the defaults come in each language from the
catalogues, staff may write their own per language, and a customer is asked in theirs."""

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from referrals.nps.models import NpsInvitation, NpsSurvey
from referrals.nps.services import nps_invitations_create_due
from tests.conftest import at
from tests.factories import CustomerFactory, NpsInvitationFactory, OrderFactory

from .nps_support import BROWSER, nps_link

pytestmark = pytest.mark.django_db

NOW = at("2026-06-15T12:00:00Z")
TURKISH = "Bizi bir arkadaşınıza ya da iş arkadaşınıza önerme olasılığınız nedir?"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_a_new_survey_asks_each_language_its_own_default_question():
    survey = NpsSurvey.get()

    assert survey.question_en.startswith("How likely are you to recommend us")
    assert survey.question_tr == TURKISH
    assert survey.passive_question_zh_hant == "謝謝！怎麼做才能讓您給我們 10 分？"
    with translation.override("fa"):
        assert survey.question == "چقدر احتمال دارد ما را به یک دوست یا همکار پیشنهاد کنید؟"


def test_a_turkish_customer_is_asked_in_turkish_whoever_runs_the_survey(
    mailoutbox, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(language="tr", accepts_marketing=True)
    paid = NOW - dt.timedelta(days=15)
    OrderFactory(customer=customer, placed_at=paid, paid_at=paid)

    with time_machine.travel(NOW, tick=False), translation.override("fa"), \
            django_capture_on_commit_callbacks(execute=True):
        assert nps_invitations_create_due(now=NOW) == 1

    assert NpsInvitation.objects.get().question == TURKISH
    assert TURKISH in mailoutbox[0].body and TURKISH in mailoutbox[0].alternatives[0][0]


def test_the_follow_up_question_follows_the_pages_language_and_falls_back(client):
    survey = NpsSurvey.get()
    survey.promoter_question_fa = "عالی! چه چیزی را بیشتر از همه دوست دارید؟"
    survey.promoter_question_tr = None  # blank: the English
    survey.save()
    client.defaults["HTTP_USER_AGENT"] = BROWSER

    persian = client.get(nps_link(NpsInvitationFactory(), 10), HTTP_ACCEPT_LANGUAGE="fa")
    turkish = client.get(nps_link(NpsInvitationFactory(), 9), HTTP_ACCEPT_LANGUAGE="tr")

    assert "عالی! چه چیزی را بیشتر از همه دوست دارید؟" in persian.content.decode()
    assert "Thank you! What do you love most about us?" in turkish.content.decode()


def test_staff_see_the_questions_once_per_language(admin_client):
    page = admin_client.get(f"/admin/referrals/npssurvey/{NpsSurvey.get().pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    for code in ("en", "tr", "fa", "zh_hant"):
        assert f'name="detractor_question_{code}"' in html
    assert TURKISH in html
