"""The four settings models share one abstract SingletonSettings: one row, read with `get()`,
or once per memo scope with `cached()`, and one admin that goes straight to the row."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from customers.models import SegmentSettings
from kernel.memo import memo_scope
from loyalty.models import LoyaltyProgram
from referrals.models import ReferralProgram
from referrals.nps.models import NpsSurvey

pytestmark = pytest.mark.django_db

SETTINGS = [SegmentSettings, LoyaltyProgram, ReferralProgram, NpsSurvey]


@pytest.mark.parametrize("model", SETTINGS, ids=lambda m: m.__name__)
def test_get_makes_the_one_row_with_its_defaults_then_reads_it(model):
    first = model.get()
    first.save()
    again = model.get()

    assert first.pk == again.pk == 1
    assert model.objects.count() == 1
    assert again.updated_at is not None


@pytest.mark.parametrize("model", SETTINGS, ids=lambda m: m.__name__)
def test_the_database_refuses_a_second_row(model):
    model.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(pk=2)


@pytest.mark.parametrize("model", SETTINGS, ids=lambda m: m.__name__)
def test_cached_reads_once_per_memo_scope_and_on_every_call_outside_one(
        model, django_assert_num_queries):
    model.get()
    with django_assert_num_queries(1), memo_scope():
        first = model.cached()
        assert model.cached() is first
    with django_assert_num_queries(2):
        assert model.cached() is not model.cached()


def test_each_settings_model_is_cached_under_its_own_key():
    with memo_scope():
        assert LoyaltyProgram.cached() is not ReferralProgram.cached()
        assert isinstance(NpsSurvey.cached(), NpsSurvey)


@pytest.mark.parametrize("model", SETTINGS, ids=lambda m: m.__name__)
def test_staff_go_from_the_list_straight_to_the_settings_and_can_neither_add_nor_delete(
        admin_client, model):
    opts = model._meta
    name = f"admin:{opts.app_label}_{opts.model_name}"

    listing = admin_client.get(reverse(f"{name}_changelist"))

    assert listing.status_code == 302
    assert listing.url == reverse(f"{name}_change", args=[1])
    assert admin_client.get(listing.url).status_code == 200
    assert admin_client.get(reverse(f"{name}_add")).status_code == 403
    assert admin_client.post(reverse(f"{name}_delete", args=[1]), {"post": "yes"}).status_code \
        == 403
    assert model.objects.filter(pk=1).exists()
