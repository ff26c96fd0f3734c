"""The management commands, run the way an operator runs them."""

import csv
import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from customers.models import (
    Activity,
    ApiKey,
    Attribute,
    Customer,
    Order,
    OrderLine,
    Refund,
    User,
)
from customers.services.api_keys import hash_key
from customers.signals import activities_recorded, orders_paid, orders_refunded
from tests.factories import CustomerFactory, ExternalIdFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
CSV_HEADER = [
    "order_id", "order_name", "status", "placed_at", "updated_at", "currency", "total",
    "refunded_total", "customer_id", "email", "first_name", "last_name", "sku", "line_name",
    "quantity", "price", "discount_codes",
]


def run(*args, **options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, verbosity=0, **options)
    return out.getvalue(), err.getvalue()


def import_expecting_skips(path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="skipped"):
        call_command("import_orders", str(path), stdout=out, stderr=err, verbosity=0)
    return out.getvalue(), err.getvalue()


def row_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count()
            for m in (Customer, Order, OrderLine, Refund, Activity, User, ApiKey, Attribute)}


# create_api_key


def test_create_api_key_prints_a_working_key_on_its_last_line():
    out, _ = run("create_api_key", "Storefront")

    raw_key = out.rstrip("\n").splitlines()[-1]
    assert out.endswith(raw_key + "\n")
    api_key = ApiKey.objects.get(name="Storefront")
    assert api_key.hashed_key == hash_key(raw_key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert client.get("/api/v1/customers/").status_code == 200


# import_orders


def test_import_orders_csv_loads_orders_lines_refunds_and_stats():
    _, err = import_expecting_skips(FIXTURES / "import_orders.csv")

    assert "line 8:" in err and "total" in err
    assert not Order.objects.filter(external_id="H-5").exists()
    assert not Customer.objects.filter(email="bad@example.com").exists()
    grace = Customer.objects.get(email="grace@example.com")
    assert (grace.first_name, grace.last_name) == ("Grace", "Hopper")
    assert list(grace.external_ids.values_list("source", "external_id")) == [("generic", "c-100")]
    h1 = Order.objects.get(source="generic", external_id="H-1")
    assert h1.customer == grace and h1.name == "#H1" and h1.status == Order.Status.PAID
    assert h1.discount_codes == ["WELCOME10"]
    assert [(li.sku, li.quantity, li.unit_price) for li in h1.lines.all()] == [
        ("SER-VITC-30", 1, Decimal("34.00")), ("SER-HA-30", 1, Decimal("28.00"))]
    h2 = Order.objects.get(external_id="H-2")
    assert h2.status == Order.Status.PARTIALLY_REFUNDED
    assert list(h2.refunds.values_list("external_id", "amount")) == [
        ("cumulative:18.50", Decimal("18.50"))]
    assert grace.orders_count == 2
    assert grace.total_spent == Decimal("62.00") + Decimal("44.50") - Decimal("18.50")
    assert grace.first_order_at == dt.datetime(2025, 1, 10, 9, tzinfo=dt.UTC)
    assert grace.last_order_at == dt.datetime(2025, 3, 2, 15, 30, tzinfo=dt.UTC)
    alan = Customer.objects.get(email="alan@example.com")
    assert alan.orders_count == 1  # the cancelled order does not count
    assert Order.objects.get(external_id="H-4").status == Order.Status.CANCELLED
    kinds = sorted(grace.activities.values_list("kind", flat=True))
    assert kinds == ["customer_created", "order_paid", "order_paid", "order_refunded"]


def test_import_orders_jsonl_loads_orders_and_reports_the_bad_line():
    _, err = import_expecting_skips(FIXTURES / "import_orders.jsonl")

    assert "line 5:" in err and "JSON" in err
    assert set(Order.objects.values_list("external_id", flat=True)) == {"J-1", "J-2", "J-3"}
    ada = Customer.objects.get(email="ada@example.com")
    assert ada.first_name == "Ada"
    assert ada.accepts_marketing is True
    assert ada.orders_count == 2
    assert ada.total_spent == Decimal("59.90")
    assert Order.objects.get(external_id="J-2").status == Order.Status.REFUNDED
    mary = Customer.objects.get(email="mary@example.com")
    assert mary.orders.get().lines.get().name == "Hyaluronic Acid Serum 30 ml"


def test_import_orders_twice_adds_nothing():
    import_expecting_skips(FIXTURES / "import_orders.csv")
    import_expecting_skips(FIXTURES / "import_orders.jsonl")
    first = row_counts()
    stats = list(Customer.objects.order_by("pk").values_list("orders_count", "total_spent"))

    out, _ = import_expecting_skips(FIXTURES / "import_orders.csv")
    import_expecting_skips(FIXTURES / "import_orders.jsonl")

    assert "Imported 0 orders" in out
    assert row_counts() == first
    assert list(Customer.objects.order_by("pk").values_list(
        "orders_count", "total_spent")) == stats


def test_import_orders_joins_existing_customers_by_external_id_and_sends_no_signals():
    known = CustomerFactory(email="known@example.com", first_name="Kim", last_name="")
    ExternalIdFactory(customer=known, source="shopify", external_id="c-100")
    received = []

    def listener(**kwargs):
        received.append(kwargs)

    orders_paid.connect(listener)
    orders_refunded.connect(listener)
    try:
        with pytest.raises(CommandError):
            run("import_orders", str(FIXTURES / "import_orders.csv"), "--source", "shopify")
    finally:
        orders_paid.disconnect(listener)
        orders_refunded.disconnect(listener)

    assert received == []
    assert Order.objects.filter(source="shopify").count() == 4
    known.refresh_from_db()
    assert known.orders.count() == 2  # Grace's orders, found by her shopify id
    assert (known.first_name, known.last_name) == ("Kim", "Hopper")  # blanks filled, not replaced
    assert not Customer.objects.filter(email="grace@example.com").exists()


def test_imported_history_earns_no_welcome_and_dates_the_customer_by_the_first_order():
    received = []

    def listener(**kwargs):
        received.append(kwargs)

    activities_recorded.connect(listener)
    try:
        import_expecting_skips(FIXTURES / "import_orders.csv")
    finally:
        activities_recorded.disconnect(listener)

    assert received == []
    grace = Customer.objects.get(email="grace@example.com")
    assert grace.created_at == dt.datetime(2025, 1, 10, 9, tzinfo=dt.UTC)
    assert grace.activities.get(kind="customer_created").occurred_at == grace.created_at


def test_a_bad_csv_line_is_reported_where_it_is(tmp_path):
    path = tmp_path / "orders.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        base = ["O-1", "#1", "paid", "2025-01-01T10:00:00Z", "2025-01-01T10:00:00Z", "EUR",
                "30.00", "0", "c-1", "a@example.com", "A", "B"]
        writer.writerow([*base, "S-1", "Serum", "1", "10.00", ""])
        writer.writerow([*base, "S-2", "Cleanser", "many", "20.00", ""])
        writer.writerow(["O-2", "#2", "paid", "2025-01-02T10:00:00Z", "2025-01-02T10:00:00Z",
                         "EUR", "5.00", "0", "", "b@example.com", "", "", "S-3", "Mask", "1",
                         "5.00", ""])

    _, err = import_expecting_skips(path)

    assert "line 3:" in err and "quantity" in err
    assert list(Order.objects.values_list("external_id", flat=True)) == ["O-2"]


def test_import_orders_of_a_few_thousand_rows_twice_gives_the_same_counts(tmp_path):
    path = tmp_path / "history.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for n in range(1500):
            customer = n % 400
            placed = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=n)
            refunded = "10.00" if n % 10 == 0 else "0"
            for sku, price in (("SER-1", "20.00"), ("SPF-1", "15.00")):
                writer.writerow([
                    f"o-{n}", f"#{n}", "paid", placed.isoformat(), placed.isoformat(), "EUR",
                    "35.00", refunded, f"c-{customer}", f"customer{customer}@example.com",
                    "First", f"Last{customer}", sku, f"Product {sku}", "1", price, "",
                ])

    run("import_orders", str(path), chunk_size=500)
    first = row_counts()
    run("import_orders", str(path))

    assert row_counts() == first
    assert first["Order"] == 1500 and first["OrderLine"] == 3000
    assert first["Customer"] == 400 and first["Refund"] == 150
    customer = Customer.objects.get(email="customer0@example.com")
    # orders 0, 400, 800, 1200: all refunded 10.00 (n % 10 == 0)
    assert customer.orders_count == 4
    assert customer.total_spent == 4 * Decimal("25.00")


def test_import_orders_refuses_an_unknown_file_type(tmp_path):
    path = tmp_path / "orders.xml"
    path.write_text("<orders/>")

    with pytest.raises(CommandError, match=r"\.xml"):
        run("import_orders", str(path))


def test_import_orders_jsonl_ignores_test_orders(tmp_path):
    path = tmp_path / "orders.ndjson"
    event = json.loads((FIXTURES / "import_orders.jsonl").read_text().splitlines()[0])
    path.write_text(json.dumps({**event, "test": True}) + "\n")

    out, _ = run("import_orders", str(path))

    assert "1 test orders were ignored" in out
    assert Order.objects.count() == 0


def test_an_imported_order_replayed_by_its_webhook_is_not_announced_again(tmp_path):
    from customers import services
    from customers.ingestion.generic import parse_order

    events = [
        {"id": "K-1", "status": "cancelled", "placed_at": "2025-05-01T08:00:00Z",
         "updated_at": "2025-05-01T09:00:00Z", "currency": "EUR", "total": "19.00",
         "customer": {"id": "c-9", "email": "alan@example.com"}},
        {"id": "K-2", "status": "partially_refunded", "placed_at": "2025-05-02T08:00:00Z",
         "updated_at": "2025-05-03T09:00:00Z", "currency": "EUR", "total": "30.00",
         "refunded_total": "10.00", "customer": {"id": "c-9", "email": "alan@example.com"}},
    ]
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events))
    run("import_orders", str(path))
    timeline = sorted(Activity.objects.values_list("kind", flat=True))

    for event in events:  # the shop replays the same state through its webhook later
        services.order_apply(event=parse_order({**event, "updated_at": "2025-06-01T00:00:00Z"}))

    assert sorted(Activity.objects.values_list("kind", flat=True)) == timeline
    assert timeline.count("order_cancelled") == 1
    assert timeline.count("order_refunded") == 1


# seed_demo


def test_seed_demo_twice_changes_no_row_counts():
    out, _ = run("seed_demo")
    first = row_counts()
    again, _ = run("seed_demo")

    assert row_counts() == first
    # 120 orders from the customers seed; the referrals seed adds its friends' first orders.
    assert first["Customer"] >= 40 and first["Order"] >= 120 and first["User"] == 2
    assert first["Refund"] > 0 and first["Attribute"] > 0
    assert "flywheel-demo" in out and "http://127.0.0.1:8000/admin/" in out
    assert "sk_" in out and "sk_" not in again  # the key is shown only when created
    admin = User.objects.get(email="admin@flywheel.local")
    assert admin.is_superuser and admin.check_password("flywheel-demo")
    shopper = Customer.objects.get(email="shopper@flywheel.local")
    assert shopper.user.check_password("flywheel-demo")
    assert shopper.orders_count > 0
    assert ApiKey.objects.filter(name="Demo storefront").count() == 1
