"""One factory per model, shared by every test."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from customers import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    password = factory.django.Password("correct-horse-battery")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Customer
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")


class ExternalIdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ExternalId

    customer = factory.SubFactory(CustomerFactory)
    source = "generic"
    external_id = factory.Sequence(lambda n: f"cust-{n}")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Order

    customer = factory.SubFactory(CustomerFactory)
    source = "generic"
    external_id = factory.Sequence(lambda n: f"order-{n}")
    status = models.Order.Status.PAID
    currency = "EUR"
    total = Decimal("50.00")
    placed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    paid_at = factory.LazyAttribute(lambda o: o.placed_at)
    source_updated_at = factory.LazyAttribute(lambda o: o.placed_at)


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OrderLine

    order = factory.SubFactory(OrderFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    name = factory.Faker("word")
    quantity = 1
    unit_price = Decimal("25.00")


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Refund

    order = factory.SubFactory(OrderFactory)
    external_id = factory.Sequence(lambda n: f"refund-{n}")
    amount = Decimal("10.00")


class AttributeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Attribute

    customer = factory.SubFactory(CustomerFactory)
    key = "skin_type"
    value = "oily"
    source_kind = models.Attribute.SourceKind.QUIZ


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Activity

    customer = factory.SubFactory(CustomerFactory)
    kind = models.Activity.Kind.ORDER_PAID


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.WebhookDelivery

    source = "generic"
    topic = "orders"
    body = "{}"
    body_sha256 = "0" * 64


class ApiKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ApiKey

    name = "Test shop"
    prefix = factory.Sequence(lambda n: f"{n:08x}")
    hashed_key = "0" * 64


# Loyalty. Entries and lots are only made through loyalty.services, which keep the cached
# balance equal to the ledger.
class LoyaltyAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "loyalty.LoyaltyAccount"
        django_get_or_create = ("customer",)

    customer = factory.SubFactory(CustomerFactory)


class EarningRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "loyalty.EarningRule"

    name = "One point per euro"
    kind = "order"
    points_per_unit = Decimal("1")


class ActivityRuleFactory(EarningRuleFactory):
    name = "Quiz completed"
    kind = "activity"
    activity_kind = "quiz_completed"
    points = 50
    points_per_unit = Decimal("0")


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "loyalty.Tier"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Tier {n}")
    position = factory.Sequence(lambda n: n + 1)
    threshold = Decimal("0")


# Quizzes: the product catalog.
class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "quizzes.Product"
        django_get_or_create = ("sku",)

    sku = factory.Sequence(lambda n: f"PROD-{n}")
    name = factory.Faker("word")
    url = factory.LazyAttribute(lambda o: f"https://shop.example.com/products/{o.sku.lower()}")
    price = Decimal("19.90")
    currency = "EUR"
    tags = factory.LazyFunction(list)


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "loyalty.Reward"

    name = "€5 off"
    kind = "amount_off"
    amount = Decimal("5.00")
    currency = "EUR"
    cost = 100


# Segments and outbound webhooks.
class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Segment
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Segment {n}")


class SegmentRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SegmentRule

    segment = factory.SubFactory(SegmentFactory)
    field = "tier"
    operator = "is"
    value = "Gold"


class WebhookSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.WebhookSubscription

    name = "CRM"
    url = "https://crm.example.com/hooks"
    secret = factory.Sequence(lambda n: f"whsec-{n}")
    events = factory.LazyFunction(lambda: ["customer.stage_changed"])
