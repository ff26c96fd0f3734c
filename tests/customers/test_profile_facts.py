"""Facts the upper apps keep on the profile: the loyalty tier and the latest NPS answer."""

import pytest

from customers.models import Customer
from customers.services import customer_nps_set, customer_tier_set
from kernel.errors import FlywheelError
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("score", "category"), [(0, "detractor"), (6, "detractor"),
                                                 (7, "passive"), (8, "passive"),
                                                 (9, "promoter"), (10, "promoter")])
def test_an_nps_answer_sets_the_latest_score_and_category(score, category):
    customer = CustomerFactory()

    customer_nps_set(customer=customer, score=score)

    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.nps_score, stored.nps_category) == (score, category)
    assert stored.nps_answered_at is not None


def test_a_score_outside_0_to_10_is_refused_and_nothing_changes():
    customer = CustomerFactory()

    with pytest.raises(FlywheelError) as error:
        customer_nps_set(customer=customer, score=11)

    assert error.value.code == "invalid_score"
    assert Customer.objects.get(pk=customer.pk).nps_score is None


def test_the_tier_is_kept_on_the_profile():
    customer = CustomerFactory()

    customer_tier_set(customer=customer, tier="Gold")

    assert Customer.objects.get(pk=customer.pk).loyalty_tier == "Gold"
