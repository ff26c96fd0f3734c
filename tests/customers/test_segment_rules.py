"""Custom segments: rules over the profile, live counts, CSV export, the API and entries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers import selectors, services
from customers.models import (
    Attribute,
    OutboundDelivery,
    Segment,
    SegmentMembership,
    SegmentRule,
    WebhookSubscription,
)
from customers.segments import selectors as segments_selectors
from tests.conftest import at
from tests.factories import CustomerFactory, OrderFactory

AS_OF = at("2026-06-30T12:00:00Z")


def segment(*rules, match="all", name="Test segment") -> Segment:
    built = Segment.objects.create(name=name, match=match)
    for field, operator, value, *key in rules:
        SegmentRule.objects.create(segment=built, field=field, operator=operator, value=value,
                                   attribute_key=key[0] if key else "")
    return built


def members(seg) -> set[str]:
    return set(selectors.segment_customers(segment=seg).values_list("email", flat=True))


def answer(customer, key, value, when):
    services.attribute_set(customer=customer, key=key, value=value,
                           source_kind=Attribute.SourceKind.QUIZ, captured_at=when)


@pytest.fixture
def shop(db):
    oily = CustomerFactory(email="oily@example.com", loyalty_tier="Gold",
                           nps_category="detractor", accepts_marketing=True)
    was_oily = CustomerFactory(email="was-oily@example.com", loyalty_tier="Silver")
    prospect = CustomerFactory(email="prospect@example.com", nps_category="promoter")
    answer(oily, "skin_type", "oily", AS_OF - dt.timedelta(days=5))
    answer(was_oily, "skin_type", "oily", AS_OF - dt.timedelta(days=50))
    answer(was_oily, "skin_type", "dry", AS_OF - dt.timedelta(days=2))  # changed their mind
    for days in (300, 250):
        OrderFactory(customer=oily, placed_at=AS_OF - dt.timedelta(days=days),
                     total=Decimal("80.00"))
    OrderFactory(customer=was_oily, placed_at=AS_OF - dt.timedelta(days=10),
                 total=Decimal("20.00"))
    for customer in (oily, was_oily, prospect):
        services.customer_stats_refresh(customer=customer)
    services.segments_recompute(as_of=AS_OF)
    return {"oily": oily, "was_oily": was_oily, "prospect": prospect}


def test_rules_over_every_profile_field(shop):
    assert members(segment(("attribute", "is", "oily", "skin_type"))) == {"oily@example.com"}
    assert members(segment(("attribute", "is_not", "oily", "skin_type"), name="n")) == {
        "was-oily@example.com", "prospect@example.com"}
    assert members(segment(("stage", "is", "at_risk"), name="s")) == {"oily@example.com"}
    assert members(segment(("stage", "is", "prospect"), name="p")) == {"prospect@example.com"}
    assert members(segment(("tier", "is", "gold"), name="t")) == {"oily@example.com"}
    assert members(segment(("nps_category", "is", "detractor"), name="d")) == {
        "oily@example.com"}
    assert members(segment(("total_spent", "gt", "100"), name="m")) == {"oily@example.com"}
    assert members(segment(("orders", "lt", "1"), name="o")) == {"prospect@example.com"}
    assert members(segment(("last_order", "lt", "2026-01-01"), name="b")) == {
        "oily@example.com"}
    assert members(segment(("last_order", "gt", "2026-06-01"), name="a")) == {
        "was-oily@example.com"}
    assert members(segment(("accepts_marketing", "is", "yes"), name="c")) == {
        "oily@example.com"}
    # Of two buyers, the more recent has R=5 and the one with fewer orders F=1: "new".
    rfm = segment(("rfm_segment", "is", "new"), name="r")
    assert members(rfm) == {"was-oily@example.com"}


def test_all_and_any(shop):
    both = segment(("tier", "is", "Gold"), ("stage", "is", "prospect"), name="both")
    either = segment(("tier", "is", "Gold"), ("stage", "is", "prospect"), match="any",
                     name="either")
    assert members(both) == set()
    assert members(either) == {"oily@example.com", "prospect@example.com"}


def test_segment_has_member_is_what_loyalty_asks(shop):
    oily = segment(("attribute", "is", "oily", "skin_type"))
    assert selectors.segment_has_member(segment=oily, customer=shop["oily"])
    assert not selectors.segment_has_member(segment=oily, customer=shop["was_oily"])


@pytest.mark.parametrize(("field", "operator", "value"), [
    ("stage", "is", "sleepy"), ("total_spent", "gt", "lots"), ("last_order", "lt", "31/01"),
    ("tier", "gt", "Gold"), ("orders", "is", "-1"), ("accepts_marketing", "is", "maybe"),
])
def test_a_bad_rule_value_is_explained(field, operator, value):
    with pytest.raises(ValidationError):
        segments_selectors.rule_value_parse(field=field, operator=operator, value=value)


def test_recompute_keeps_memberships_and_announces_entries_once(shop):
    hook = WebhookSubscription.objects.create(name="CRM", url="http://127.0.0.1:9/hook",
                                              secret="s", events=["customer.segment_entered"])
    gold = segment(("tier", "is", "Gold"), name="Gold")

    services.segments_recompute(as_of=AS_OF)
    services.segments_recompute(as_of=AS_OF + dt.timedelta(hours=1))

    assert list(SegmentMembership.objects.filter(segment=gold)
                .values_list("customer__email", flat=True)) == ["oily@example.com"]
    entered = OutboundDelivery.objects.filter(subscription=hook)
    assert entered.count() == 1
    assert entered.get().payload["data"]["segment"]["name"] == "Gold"
    assert entered.get().payload["customer"]["email"] == "oily@example.com"


def test_leaving_a_segment_removes_the_membership(shop):
    gold = segment(("tier", "is", "Gold"), name="Gold")
    services.segments_recompute(as_of=AS_OF)
    services.customer_tier_set(customer=shop["oily"], tier="Silver")
    services.segments_recompute(as_of=AS_OF + dt.timedelta(hours=1))
    assert not SegmentMembership.objects.filter(segment=gold).exists()


def test_api_lists_segments_with_live_counts(shop, api, anon_api):
    segment(("tier", "is", "Gold"), name="Gold")
    response = api.get("/api/v1/segments/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["name"] == "Gold" and row["customer_count"] == 1
    assert row["rules"] == [{"field": "tier", "attribute_key": "", "operator": "is",
                             "value": "Gold"}]
    assert anon_api.get("/api/v1/segments/").status_code in (401, 403)


def test_api_pages_through_a_segments_customers(shop, api):
    everyone = segment(("orders", "lt", "100"), name="Everyone")
    first = api.get(f"/api/v1/segments/{everyone.pk}/customers/?limit=2")
    assert first.status_code == 200
    body = first.json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert {"stage", "rfm_segment", "clv_predicted"} <= set(body["results"][0])
    missing = api.get("/api/v1/segments/999/customers/")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_admin_exports_a_segment_as_csv(shop, admin_client):
    oily = segment(("attribute", "is", "oily", "skin_type"))
    response = admin_client.get(f"/admin/customers/segment/{oily.pk}/export/")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,email,first_name")
    assert len(lines) == 2 and "oily@example.com" in lines[1] and "at_risk" in lines[1]


def test_admin_pages_show_counts_grid_and_filters(shop, admin_client):
    gold = segment(("tier", "is", "Gold"), name="Gold")
    listing = admin_client.get("/admin/customers/segment/")
    assert listing.status_code == 200 and b"Gold" in listing.content
    overview = admin_client.get("/admin/customers/segment/overview/")
    assert overview.status_code == 200
    assert b"RFM grid" in overview.content and b"Win-back rate" in overview.content
    filtered = admin_client.get(f"/admin/customers/customer/?segment={gold.pk}")
    assert filtered.status_code == 200
    assert b"oily@example.com" in filtered.content
    assert b"was-oily@example.com" not in filtered.content
    by_stage = admin_client.get("/admin/customers/customer/?score__stage=prospect")
    assert b"prospect@example.com" in by_stage.content
    assert b"oily@example.com" not in by_stage.content
    change = admin_client.get(f"/admin/customers/customer/{shop['oily'].pk}/change/")
    assert change.status_code == 200 and b"Predicted CLV" in change.content


def test_admin_refuses_a_bad_rule_with_a_message(db, admin_client):
    response = admin_client.post("/admin/customers/segment/add/", {
        "name": "Sleepy", "match": "all",
        "rules-TOTAL_FORMS": "1", "rules-INITIAL_FORMS": "0",
        "rules-0-field": "stage", "rules-0-operator": "is", "rules-0-value": "sleepy",
    })
    assert response.status_code == 200
    assert b"Choose one of" in response.content
    assert not Segment.objects.exists()
