"""The value model on the shop's own orders: fitted at the recompute, scoring everyone, used
for the at-risk and lapsed stages, refreshed as orders arrive, and shown to staff and to the
shop's systems; a shop with too little history is told so and keeps today's rules."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from customers import services
from customers.models import (
    Customer,
    CustomerScore,
    OutboundDelivery,
    SegmentSettings,
    Stage,
    ValueModelFit,
    WebhookSubscription,
)
from tests.factories import CustomerFactory, OrderFactory


@pytest.fixture
def shop(db) -> dt.datetime:
    """500 customers (about 400 buyers) with three years of orders: enough for the model and
    its backtest. Returns the time to score them at."""
    call_command("generate_fake_shop", "--customers", "500", "--orders", "2500", "--seed",
                 "5", stdout=StringIO())
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def young_shop(db) -> dt.datetime:
    """Twelve customers, two months old."""
    now = timezone.now().replace(microsecond=0)
    for n in range(12):
        customer = CustomerFactory(email=f"young{n}@example.com")
        for k in range(1 + n % 3):
            OrderFactory(customer=customer, placed_at=now - dt.timedelta(days=60 - 10 * k),
                         total=Decimal("30.00"), external_id=f"young-{n}-{k}")
        services.customer_stats_refresh(customer=customer)
    return now


def fitted_stage(score: CustomerScore, settings: SegmentSettings) -> bool:
    """The stage P(alive) says a repeat customer is in (at risk / lapsed / neither)."""
    if score.p_alive < settings.lapsed_below_p_alive / 100:
        return score.stage == Stage.LAPSED
    if score.p_alive < settings.at_risk_below_p_alive / 100:
        return score.stage == Stage.AT_RISK
    return score.stage not in (Stage.AT_RISK, Stage.LAPSED)


def test_a_shop_with_enough_history_is_scored_by_its_own_model(shop):
    services.segments_recompute(as_of=shop)

    fit = ValueModelFit.objects.get()
    assert fit.status == ValueModelFit.Status.FITTED
    assert fit.buyers == CustomerScore.objects.filter(orders__gt=0).count() > 350
    assert all(getattr(fit, name) > 0 for name in ("r", "alpha", "a", "b", "p", "q", "gamma"))
    settings = SegmentSettings.get()
    repeat = list(CustomerScore.objects.filter(orders__gte=2))
    assert repeat and all(0 <= s.p_alive <= 1 and fitted_stage(s, settings) for s in repeat)
    assert {s.stage for s in repeat} >= {Stage.AT_RISK, Stage.LAPSED}
    for score in CustomerScore.objects.filter(orders__gt=0):
        assert 0 <= score.expected_orders_90d <= score.expected_orders_365d
        assert score.expected_order_value > 0 and score.clv_predicted >= 0
    once = CustomerScore.objects.filter(orders=1)
    assert once.exists() and not once.filter(p_alive__isnull=False).exists()
    assert not CustomerScore.objects.filter(orders=0, expected_orders_365d__isnull=False).exists()


def test_the_backtest_compares_the_model_with_both_baselines(shop):
    services.segments_recompute(as_of=shop)

    backtest = ValueModelFit.objects.get().backtest
    assert backtest["days"] == 26 * 7
    for what in ("orders", "spend"):
        assert set(backtest["mae"][what]) == {"model", "same_for_everyone", "run_rate"}
    assert sum(group["customers"] for group in backtest["groups"]) == backtest["customers"]
    known = CustomerScore.objects.filter(first_order_at__lte=shop - dt.timedelta(weeks=26))
    assert backtest["customers"] == known.count()


def test_orders_arriving_are_scored_as_the_recompute_scores_them(shop):
    services.segments_recompute(as_of=shop)
    fields = ("stage", "p_alive", "expected_orders_90d", "expected_orders_365d",
              "expected_order_value", "clv_predicted")

    def facts():
        return {s.pk: tuple(round(v, 9) if isinstance(v, float) else v
                            for v in (getattr(s, f) for f in fields))
                for s in CustomerScore.objects.all()}

    recomputed = facts()
    CustomerScore.objects.all().delete()
    services.customers_stage_refresh(customers=list(Customer.objects.all()), now=shop)

    assert facts() == recomputed


def test_a_young_shop_is_told_why_and_keeps_todays_rules(young_shop, api):
    services.segments_recompute(as_of=young_shop)

    fit = ValueModelFit.objects.get()
    assert fit.status == ValueModelFit.Status.TOO_LITTLE_HISTORY
    assert fit.detail == {"reason": "few_buyers", "have": 12, "need": 200}
    customer = Customer.objects.get(email="young2@example.com")  # three orders
    body = api.get(f"/api/v1/customers/{customer.pk}/").json()["score"]
    assert body["predicted_by"] == "rules"
    assert body["model_note"] == ("Too little history: 12 customers have ordered; the model "
                                  "needs 200. Until then, the rules predict.")
    assert body["p_alive"] is None and body["expected_orders_365d"] is None
    assert body["clv_predicted"] == "270.00"  # 90 a year so far (tenure counted as a year) x 3


def test_turning_the_model_off_brings_back_the_rules(shop):
    settings = SegmentSettings.get()
    settings.value_model_enabled = False
    settings.save()

    services.segments_recompute(as_of=shop)

    assert ValueModelFit.objects.get().status == ValueModelFit.Status.OFF
    assert not CustomerScore.objects.filter(p_alive__isnull=False).exists()
    scored = CustomerScore.objects.filter(orders__gte=2).first()
    services.customer_stage_refresh(customer=scored.customer, now=shop)
    scored.refresh_from_db()
    assert scored.expected_orders_365d is None


def test_a_higher_discount_rate_or_a_shorter_horizon_lowers_predicted_clv(shop):
    def total_clv(**changes):
        SegmentSettings.objects.filter(pk=1).update(**changes)
        services.segments_recompute(as_of=shop)
        return sum(CustomerScore.objects.values_list("clv_predicted", flat=True))

    SegmentSettings.get()
    base = total_clv(clv_discount_rate=Decimal("0"), clv_horizon_years=Decimal("3"))
    discounted = total_clv(clv_discount_rate=Decimal("25"))
    shorter = total_clv(clv_discount_rate=Decimal("0"), clv_horizon_years=Decimal("1"))

    assert 0 < discounted < base and 0 < shorter < base


def test_lapsed_must_sit_below_at_risk_in_settings(db):
    settings = SegmentSettings.get()
    settings.lapsed_below_p_alive, settings.at_risk_below_p_alive = 60, 40
    with pytest.raises(ValidationError) as refused:
        settings.full_clean()
    assert "lapsed_below_p_alive" in refused.value.message_dict


def test_the_profile_and_the_export_carry_the_figures_with_when_computed(shop, api):
    services.segments_recompute(as_of=shop)
    score = CustomerScore.objects.filter(orders__gte=3).select_related("customer").first()

    detail = api.get(f"/api/v1/customers/{score.pk}/").json()["score"]
    exported = api.get(f"/api/v1/customers/{score.pk}/export/").json()["score"]

    assert detail["stage"] == score.stage
    assert detail["rfm"] == {"recency": score.r_score, "frequency": score.f_score,
                             "monetary": score.m_score, "segment": score.rfm_segment}
    assert detail["p_alive"] == pytest.approx(score.p_alive)
    assert detail["expected_orders_90d"] == pytest.approx(score.expected_orders_90d)
    assert detail["expected_orders_365d"] == pytest.approx(score.expected_orders_365d)
    assert Decimal(detail["clv_predicted"]) == score.clv_predicted
    assert detail["predicted_by"] == "model" and detail["model_note"] == ""
    assert detail["currency"] == "EUR"
    assert dt.datetime.fromisoformat(detail["computed_at"].replace("Z", "+00:00")) == shop
    assert {k: exported[k] for k in ("stage", "rfm", "clv_predicted", "predicted_by")} == {
        k: detail[k] for k in ("stage", "rfm", "clv_predicted", "predicted_by")}
    assert exported["p_alive"] == pytest.approx(detail["p_alive"])
    assert dt.datetime.fromisoformat(exported["computed_at"]) == shop


def test_a_customer_never_scored_has_no_figures_yet(db, api):
    customer = CustomerFactory()
    assert api.get(f"/api/v1/customers/{customer.pk}/").json()["score"] is None


def test_the_schema_documents_the_figures(client):
    schema = client.get("/api/schema/").content.decode()
    for field in ("p_alive", "expected_orders_90d", "expected_orders_365d", "predicted_by",
                  "model_note", "computed_at"):
        assert field in schema
    assert "Probability (0-1) that the customer still buys here" in schema


def test_stage_changed_webhooks_carry_the_figures(shop):
    WebhookSubscription.objects.create(name="CRM", url="http://127.0.0.1:9/hooks",
                                       secret="s", events=["customer.stage_changed"])
    services.segments_recompute(as_of=shop - dt.timedelta(days=200))  # first: recorded only

    services.segments_recompute(as_of=shop)

    deliveries = OutboundDelivery.objects.filter(event="customer.stage_changed")
    assert deliveries.exists()
    delivery = deliveries.first()
    score = CustomerScore.objects.get(customer=delivery.customer)
    sent = delivery.payload["data"]
    assert sent["to"] == score.stage == sent["score"]["stage"]
    assert sent["score"]["clv_predicted"] == str(score.clv_predicted)
    assert sent["score"]["expected_orders_365d"] == pytest.approx(score.expected_orders_365d)


def test_staff_see_the_backtest_beside_the_baselines(shop, admin_client):
    services.segments_recompute(as_of=shop)

    page = admin_client.get("/admin/customers/segment/overview/").content.decode()

    backtest = ValueModelFit.objects.get().backtest
    assert "Backtest: how well it predicted" in page
    for key in ("model", "same_for_everyone", "run_rate"):
        assert f"{backtest['mae']['spend'][key]:.2f}" in page
    assert "Calibration: predicted and real orders" in page
    assert page.count("<svg") >= 2
    assert admin_client.get("/admin/customers/valuemodelfit/").status_code == 200


def test_staff_see_why_a_young_shop_has_no_model(young_shop, admin_client):
    services.segments_recompute(as_of=young_shop)

    page = admin_client.get("/admin/customers/segment/overview/").content.decode()

    assert "Too little history: 12 customers have ordered" in page


def test_the_customer_page_words_the_figures_for_people(shop, admin_client):
    services.segments_recompute(as_of=shop)
    score = CustomerScore.objects.filter(orders__gte=3, p_alive__gt=0.1).first()

    page = admin_client.get(f"/admin/customers/customer/{score.pk}/change/").content.decode()

    assert f"{round(score.p_alive * 100)} % likely" in page
    assert "in the next 90 days" in page
    assert f"{score.clv_predicted:,.2f} EUR" in page
