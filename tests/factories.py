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
    refunded_total = Decimal("0")
    placed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    paid_at = factory.LazyAttribute(lambda o: o.placed_at)
    source_updated_at = factory.LazyAttribute(lambda o: o.placed_at)
    # In the shop's currency (EUR in tests), as ingestion stores it (order_shop_amounts).
    shop_total = factory.LazyAttribute(
        lambda o: Decimal(str(o.total)) if o.currency == "EUR" else None)
    shop_net = factory.LazyAttribute(
        lambda o: None if o.shop_total is None else o.shop_total - Decimal(str(o.refunded_total)))


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


# Quiz builder (quizbuild)


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "quizzes.Quiz"

    slug = factory.Sequence(lambda n: f"quiz-{n}")
    title = factory.Sequence(lambda n: f"Quiz {n}")


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "quizzes.Question"

    quiz = factory.SubFactory(QuizFactory)
    position = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Question {n}?")
    kind = "single"


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "quizzes.Choice"

    question = factory.SubFactory(QuestionFactory)
    position = factory.Sequence(lambda n: n)
    label = factory.Sequence(lambda n: f"Answer {n}")
    value = factory.Sequence(lambda n: f"answer-{n}")


class ChoiceWeightFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "quizzes.ChoiceWeight"

    choice = factory.SubFactory(ChoiceFactory)
    tag = "oily-skin"
    weight = 1


# Quiz taking (quiztake): published versions built straight from definition dicts, and
# responses.
def skin_quiz_definition(slug: str = "skin-routine", **overrides) -> dict:
    """A small branching quiz: oily skin asks about breakouts, dry skin skips to the climate;
    an optional email question ends it."""
    definition = {
        "slug": slug, "title": "Find your routine", "intro": "Four quick questions.",
        "cover_image": "", "results_heading": "Your routine",
        "results_text": "Picked for you.", "recommend_count": 3, "first_question": "q1",
        "questions": [
            {"key": "q1", "text": "What's your skin type?", "help_text": "", "kind": "single",
             "required": True, "attribute": "skin_type", "max_choices": None, "next": "q2",
             "choices": [
                 {"key": "c1", "label": "Oily", "value": "oily", "image": "",
                  "tag_weights": {"oily-skin": 3}, "product_weights": {},
                  "excluded_tags": [], "required_tags": [], "next": None},
                 {"key": "c2", "label": "Dry", "value": "dry", "image": "",
                  "tag_weights": {"dry-skin": 3}, "product_weights": {},
                  "excluded_tags": [], "required_tags": [], "next": "q3"},
             ]},
            {"key": "q2", "text": "Do you break out easily?", "help_text": "", "kind": "single",
             "required": True, "attribute": "breakouts", "max_choices": None, "next": "q3",
             "choices": [
                 {"key": "c3", "label": "Often", "value": "often", "image": "",
                  "tag_weights": {"acne": 2}, "product_weights": {}, "excluded_tags": [],
                  "required_tags": [], "next": None},
                 {"key": "c4", "label": "Rarely", "value": "rarely", "image": "",
                  "tag_weights": {}, "product_weights": {}, "excluded_tags": [],
                  "required_tags": [], "next": None},
             ]},
            {"key": "q3", "text": "Where do you live?", "help_text": "Pick up to two.",
             "kind": "multiple", "required": True, "attribute": "climate", "max_choices": 2,
             "next": "q4",
             "choices": [
                 {"key": "c5", "label": "Humid climate", "value": "humid", "image": "",
                  "tag_weights": {"humid": 1}, "product_weights": {}, "excluded_tags": [],
                  "required_tags": [], "next": None},
                 {"key": "c6", "label": "Cold climate", "value": "cold", "image": "",
                  "tag_weights": {"cold": 1}, "product_weights": {}, "excluded_tags": [],
                  "required_tags": [], "next": None},
                 {"key": "c7", "label": "Fragrance-free only", "value": "fragrance-free",
                  "image": "", "tag_weights": {}, "product_weights": {},
                  "excluded_tags": ["fragrance"], "required_tags": [], "next": None},
             ]},
            {"key": "q4", "text": "Where shall we send your routine?", "help_text": "",
             "kind": "email", "required": False, "attribute": "", "max_choices": None,
             "next": None, "choices": []},
        ],
    }
    definition.update(overrides)
    return definition


class QuizVersionFactory(factory.django.DjangoModelFactory):
    """A published version; pass `definition=` to shape it (default: skin_quiz_definition)."""

    class Meta:
        model = "quizzes.QuizVersion"

    quiz = factory.SubFactory(QuizFactory, status="published")
    number = factory.Sequence(lambda n: n + 1)
    definition = factory.LazyAttribute(lambda o: skin_quiz_definition(slug=o.quiz.slug))


class QuizResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "quizzes.QuizResponse"

    version = factory.SubFactory(QuizVersionFactory)
    token = factory.Sequence(lambda n: f"token-{n}")
    current_question = "q1"
# Referrals ------------------------------------------------------------------------------------


class ReferralProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "referrals.ReferralProgram"
        django_get_or_create = ("id",)

    id = 1
    friend_reward = factory.SubFactory(RewardFactory, name="10% off your first order",
                                       kind="percent_off", amount=None, currency="",
                                       percent=10, cost=1000)


class ReferralCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "referrals.ReferralCode"

    customer = factory.SubFactory(CustomerFactory)
    code = factory.Sequence(lambda n: f"RF{n:05d}")


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "referrals.Referral"

    code = factory.SubFactory(ReferralCodeFactory)
    referrer = factory.LazyAttribute(lambda o: o.code.customer)
    friend = factory.SubFactory(CustomerFactory)
    friend_email = factory.LazyAttribute(lambda o: o.friend.email)


# NPS surveys (referrals/nps). Invitations are normally made by
# referrals.nps.services.nps_invitation_create; these build the rows directly for tests.
class NpsInvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "referrals.NpsInvitation"

    customer = factory.SubFactory(CustomerFactory, accepts_marketing=True)
    order = factory.SubFactory(OrderFactory, customer=factory.SelfAttribute("..customer"))
    question = "How likely are you to recommend us to a friend or colleague?"
    nonce = factory.Sequence(lambda n: f"nonce-{n:012d}")
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.created_at + dt.timedelta(days=30))
    sent_at = factory.LazyAttribute(lambda o: o.created_at)


class NpsResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "referrals.NpsResponse"

    invitation = factory.SubFactory(NpsInvitationFactory)
    customer = factory.SelfAttribute("invitation.customer")
    score = 10
    category = factory.LazyAttribute(lambda o: models.NpsCategory.for_score(o.score))
    answered_at = factory.LazyFunction(timezone.now)


class NpsFollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "referrals.NpsFollowUp"

    response = factory.SubFactory(NpsResponseFactory, score=3)
    customer = factory.SelfAttribute("response.customer")


class SurveyContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "referrals.SurveyContact"

    customer = factory.SubFactory(CustomerFactory)
    survey = "nps"
    contacted_at = factory.LazyFunction(timezone.now)
    key = factory.Sequence(lambda n: f"test-contact:{n}")
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


# Storefront -----------------------------------------------------------------------------------


class PublishableKeyFactory(factory.django.DjangoModelFactory):
    """A storefront on https://shop.example.com; the key and secret are made as the service
    makes them."""

    class Meta:
        model = "storefront.PublishableKey"

    name = "Main shop"
    key = factory.Sequence(lambda n: f"pk_test{n:08d}")
    signing_secret = factory.Sequence(lambda n: f"{n:064x}")
    allowed_origins = "https://shop.example.com"
    signup_url = "https://shop.example.com/account/register"
    login_url = "https://shop.example.com/account/login"
