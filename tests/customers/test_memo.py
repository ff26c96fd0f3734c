
import pytest

from customers import services
from customers.models import OutboundDelivery, WebhookDelivery
from loyalty.models import LoyaltyAccount
from tests.conftest import (
    assert_configuration_read_once_per_batch,
    order_event,
    post_event,
    realistic_shop,
)


@pytest.mark.django_db
def test_a_batch_of_order_events_reads_the_shops_configuration_once(api):
    """A shop with an order rule, tiers, a referral program and a webhook subscriber: inside
    one memo scope (as the batch worker applies deliveries), ten order events from new
    customers read the rules, tiers and settings as often as one does."""
    realistic_shop()
    for i in range(11):
        assert post_event(api, order_event(
            id=f"batch-{i}", customer={"id": f"c-batch-{i}", "email": f"shopper{i}@example.com",
                                       "accepts_marketing": True})).status_code == 202
    deliveries = list(WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True))

    assert_configuration_read_once_per_batch(
        lambda pk: services.delivery_process(delivery_id=pk), deliveries)

    accounts = LoyaltyAccount.objects.select_related("tier")
    assert {(a.balance, a.pending, a.tier.name) for a in accounts} == {(10, 59, "Member")}
    assert accounts.count() == 11
    assert OutboundDelivery.objects.count() == 22  # a tier change and a stage change each
