"""manage.py import_orders PATH: load historical orders in bulk."""

import csv
import dataclasses
import json
import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from tqdm import tqdm

from customers.errors import InvalidEvent
from customers.ingestion.events import OrderEvent
from customers.ingestion.generic import parse_order
from customers.models import Activity, Customer, ExternalId, Order, OrderLine, Refund, Source
from customers.services import consent_set, customers_stats_refresh
from customers.services.orders import (
    PAID_STATUSES,
    cumulative_refund_id,
    order_activity_key,
    order_shop_amounts,
    order_status,
)
from kernel.bulk import rows_copy

CSV_FIELDS = (
    "order_id", "order_name", "status", "placed_at", "updated_at", "currency", "total",
    "refunded_total", "customer_id", "email", "first_name", "last_name", "sku", "line_name",
    "quantity", "price", "discount_codes",
)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
ORDER_FIELDS = [f for f in Order._meta.local_concrete_fields if not f.primary_key]


@dataclasses.dataclass
class Record:
    """One order read from the file, before it is checked."""

    line: int
    payload: dict | None = None
    error: str = ""
    # For CSV, the file line of each order line, so a bad line is reported where it is.
    line_numbers: tuple[int, ...] = ()

    def where(self, field: str) -> int:
        parts = field.split(".")
        if len(parts) > 2 and parts[0] == "lines" and parts[1].isdigit():
            index = int(parts[1])
            if index < len(self.line_numbers):
                return self.line_numbers[index]
        return self.line


def batched(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    while chunk := list(islice(records, size)):
        yield chunk


def _blank_dropped(values: dict) -> dict:
    return {key: value for key, value in values.items() if value not in (None, "")}


def csv_records(path: Path) -> Iterator[Record]:
    """One record per order: its rows (one per order line, one after the other as shops
    export them) grouped by order_id. Read as the file goes, so memory does not grow with it."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if "order_id" not in (reader.fieldnames or []):
            raise CommandError(_("The CSV header has no %(column)s column; expected: %(fields)s.")
                               % {"column": "order_id", "fields": ", ".join(CSV_FIELDS)})
        rows: list[tuple[int, dict]] = []
        for row in reader:
            order_id = (row.get("order_id") or "").strip()
            if not order_id:
                yield Record(line=reader.line_num,
                             error=_("order_id: This field is required."))
                continue
            if rows and rows[0][1]["order_id"].strip() != order_id:
                yield _csv_record(rows)
                rows = []
            rows.append((reader.line_num, row))
        if rows:
            yield _csv_record(rows)


def _csv_record(rows: list[tuple[int, dict]]) -> Record:
    first = rows[0][1]
    sold = [(line, row) for line, row in rows if row.get("line_name") or row.get("sku")]
    payload = _blank_dropped({
        "id": first["order_id"].strip(),
        "name": first.get("order_name"),
        "status": first.get("status"),
        "placed_at": first.get("placed_at"),
        "updated_at": first.get("updated_at"),
        "currency": first.get("currency"),
        "total": first.get("total"),
        "refunded_total": first.get("refunded_total"),
    })
    payload["customer"] = _blank_dropped({
        "id": first.get("customer_id"), "email": first.get("email"),
        "first_name": first.get("first_name"), "last_name": first.get("last_name"),
    })
    payload["lines"] = [
        _blank_dropped({"sku": row.get("sku"), "name": row.get("line_name"),
                        "quantity": row.get("quantity"), "price": row.get("price")})
        for _line, row in sold
    ]
    payload["discount_codes"] = (first.get("discount_codes") or "").split()
    return Record(line=rows[0][0], payload=payload,
                  line_numbers=tuple(line for line, _row in sold))


def jsonl_records(path: Path) -> Iterator[Record]:
    """One record per non-blank line, each a generic order event."""
    with path.open(encoding="utf-8-sig") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                yield Record(line=number, payload=json.loads(text))
            except ValueError as exc:
                yield Record(line=number, error=_("Not valid JSON: %(error)s") % {"error": exc})


def _newest(events: list[OrderEvent], field: str) -> str:
    """The newest non-blank value a customer's orders give for a field."""
    ordered = sorted(events, key=lambda e: e.updated_at, reverse=True)
    return next((getattr(e.customer, field) for e in ordered if getattr(e.customer, field)), "")


def describe(record: Record, exc: InvalidEvent) -> list[tuple[int, str]]:
    if not exc.fields:
        return [(record.line, exc.message)]
    return [(record.where(field), f"{exc.message} {field}: {message}")
            for field, message in exc.fields.items()]


class Command(BaseCommand):
    # Commands are imported after Django is set up, so plain gettext translates here.
    help = _(
        "Import historical orders from a CSV file (one row per order line, columns: "
        "%(fields)s; discount_codes space separated) or a JSON-lines file (.jsonl/.ndjson, one "
        "generic order event per line, as POSTed to /api/v1/events/orders/). Orders already "
        "known are left as they are, so re-running a file adds nothing. This is history: no "
        "orders_paid or orders_refunded signal is sent, so no loyalty points are earned. Bad "
        "orders are reported with their line and skipped, and the command then exits non-zero."
    ) % {"fields": ", ".join(CSV_FIELDS)}

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("A .csv, .jsonl or .ndjson file."))
        parser.add_argument(
            "--source", default=Source.GENERIC,
            choices=[Source.GENERIC, Source.SHOPIFY, Source.WOOCOMMERCE],
            help=_("The platform the order ids belong to (default: generic)."),
        )
        parser.add_argument("--chunk-size", type=int, default=1000,
                            help=_("Orders written per transaction (default: 1000)."))

    def handle(self, *args, path, source, chunk_size, verbosity, **options):
        path = Path(path)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        suffix = path.suffix.lower()
        if suffix == ".csv":
            records = csv_records(path)
        elif suffix in JSONL_SUFFIXES:
            records = jsonl_records(path)
        else:
            raise CommandError(_("Give a .csv, .jsonl or .ndjson file, not '%(suffix)s'.")
                               % {"suffix": suffix or path.name})
        self.quiet = verbosity == 0

        # The file is read, checked and written a chunk at a time, each chunk in a
        # transaction of its own: memory holds one chunk whatever the file's size.
        totals = {"orders": 0, "lines": 0, "refunds": 0, "known": 0, "new_customers": 0,
                  "skipped": 0, "tests": 0}
        customers: set[int] = set()  # ids only, for the count
        with self.bar(desc=_("Importing")) as bar:
            for chunk in batched(records, chunk_size):
                events = self.validate(chunk, source, totals)
                with transaction.atomic():
                    touched = self.import_chunk(events, source, totals)
                    customers_stats_refresh(customer_ids=touched)
                customers |= touched
                bar.update(len(chunk))

        self.stdout.write(
            _("Imported %(orders)d orders (%(lines)d lines, %(refunds)d refunds) for "
              "%(customers)d customers, %(new)d of them new. %(known)d orders were already "
              "known, %(tests)d test orders were ignored, %(skipped)d were skipped.")
            % {"orders": totals["orders"], "lines": totals["lines"],
               "refunds": totals["refunds"], "customers": len(customers),
               "new": totals["new_customers"], "known": totals["known"],
               "tests": totals["tests"], "skipped": totals["skipped"]}
        )
        if skipped := totals["skipped"]:
            raise CommandError(ngettext("%(n)d order was skipped; see the lines above.",
                                        "%(n)d orders were skipped; see the lines above.",
                                        skipped) % {"n": skipped})

    def bar(self, iterable=None, **kwargs):
        kwargs.setdefault("unit", _("order"))
        return tqdm(iterable, file=sys.stderr, disable=self.quiet, **kwargs)

    def validate(self, records, source, totals) -> list[OrderEvent]:
        """Each order through the API's own validation, its problems reported with their
        line; the newest copy of an order in the chunk wins (a copy in a later chunk finds
        the order known)."""
        newest: dict[str, OrderEvent] = {}
        problems: list[tuple[int, str]] = []
        for record in records:
            if record.error:
                problems.append((record.line, record.error))
                totals["skipped"] += 1
                continue
            try:
                event = parse_order(record.payload)
            except InvalidEvent as exc:
                problems.extend(describe(record, exc))
                totals["skipped"] += 1
                continue
            if event.test:
                totals["tests"] += 1
                continue
            event = dataclasses.replace(event, source=source)
            known = newest.get(event.external_id)
            if known is None or event.updated_at >= known.updated_at:
                newest[event.external_id] = event
        for line, message in sorted(problems):
            self.stderr.write(_("line %(line)d: %(message)s") % {"line": line,
                                                                "message": message})
        return list(newest.values())

    def import_chunk(self, events, source, totals) -> set[int]:
        """Write the chunk's new orders set-based (COPY on PostgreSQL) with their lines,
        refunds and timeline rows; returns the ids of the customers whose stats change."""
        touched: set[int] = set()
        if not events:
            return touched
        customer_ids = self.customers(events, source, totals)
        known = set(
            Order.objects.filter(source=source, external_id__in=[e.external_id for e in events])
            .values_list("external_id", flat=True)
        )
        totals["known"] += len(known)
        events = [e for e in events if e.external_id not in known]
        orders = {e.external_id: self.order(e, customer_ids.get(e.external_id))
                  for e in events}
        # An order a webhook inserted meanwhile is skipped: only those inserted here get lines.
        inserted = rows_copy(Order, [{f.attname: getattr(order, f.attname) for f in ORDER_FIELDS}
                                     for order in orders.values()],
                             key=("source", "external_id"))
        lines, refunds, activities = [], [], []
        for event in events:
            pk = inserted.get((source, event.external_id))
            if pk is None:
                continue
            order = orders[event.external_id]
            order.pk = pk
            lines += [{"order_id": pk, "sku": li.sku, "name": li.name, "quantity": li.quantity,
                       "unit_price": li.unit_price} for li in event.lines or ()]
            refund = None
            if order.refunded_total > 0:
                refund = {"order_id": pk,
                          "external_id": cumulative_refund_id(order.refunded_total),
                          "amount": order.refunded_total, "created_at": event.updated_at}
                refunds.append(refund)
            if order.customer_id:
                touched.add(order.customer_id)
                activities += self.timeline(order, refund)
        rows_copy(OrderLine, lines)
        rows_copy(Refund, refunds)
        rows_copy(Activity, activities)
        totals["orders"] += len(inserted)
        totals["lines"] += len(lines)
        totals["refunds"] += len(refunds)
        return touched

    def order(self, event: OrderEvent, customer_id: int | None) -> Order:
        # parse_order always gives the cumulative refunded_total, never a list of refunds.
        order = Order(
            source=event.source, external_id=event.external_id, customer_id=customer_id,
            name=event.name, currency=event.currency, total=event.total,
            discount_total=event.discount_total, refunded_total=event.refunded_total,
            discount_codes=list(event.discount_codes), referral_code=event.referral_code,
            placed_at=event.placed_at, source_updated_at=event.updated_at,
        )
        if event.status == Order.Status.CANCELLED:
            order.cancelled_at = event.updated_at
        if event.status in PAID_STATUSES or order.refunded_total > 0:
            order.paid_at = event.placed_at  # history: paid when it was placed
        order.source_version = order.lines_version = event.version
        order_shop_amounts(order, event.shop_total)
        order.status = order_status(order)
        return order

    def timeline(self, order: Order, refund: dict | None) -> list[dict]:
        """The rows order_apply would have put on the timeline, with the same keys."""
        rows = []
        reference = str(order)
        if order.paid_at:
            rows.append({"customer_id": order.customer_id, "kind": Activity.Kind.ORDER_PAID,
                         "occurred_at": order.paid_at, "reference": reference,
                         "key": order_activity_key(order, "paid"),
                         "data": {"total": str(order.total), "currency": order.currency}})
        if refund:
            rows.append({"customer_id": order.customer_id,
                         "kind": Activity.Kind.ORDER_REFUNDED,
                         "occurred_at": refund["created_at"], "reference": reference,
                         "key": order_activity_key(order, f"refund:{refund['external_id']}"),
                         "data": {"amount": str(refund["amount"]), "currency": order.currency}})
        if order.cancelled_at:
            rows.append({"customer_id": order.customer_id,
                         "kind": Activity.Kind.ORDER_CANCELLED,
                         "occurred_at": order.cancelled_at, "reference": reference,
                         "key": order_activity_key(order, "cancelled")})
        return rows

    def customers(self, events, source, totals) -> dict[str, int]:
        """The customer of each order (by external id, then email, as customer_upsert finds
        them), creating the missing ones. Guest orders without an email belong to no one."""
        by_external = dict(
            ExternalId.objects.filter(
                source=source,
                external_id__in={e.customer.external_id for e in events if e.customer.external_id},
            ).values_list("external_id", "customer_id")
        )
        emails = {e.customer.email for e in events if e.customer.email}
        by_email = dict(Customer.objects.filter(email__in=emails).values_list("email", "pk"))
        existing = set(by_external.values()) | set(by_email.values())
        missing: dict[str, list[OrderEvent]] = {}
        for event in events:
            data = event.customer
            if data.external_id not in by_external and data.email and data.email not in by_email:
                missing.setdefault(data.email, []).append(event)
        if missing:
            Customer.objects.bulk_create(
                [Customer(email=email, first_name=_newest(evs, "first_name"),
                          last_name=_newest(evs, "last_name"),
                          created_at=min(e.placed_at for e in evs))
                 for email, evs in missing.items()],
                ignore_conflicts=True,
            )
            created = Customer.objects.filter(email__in=list(missing)).values_list(
                "email", "pk", "created_at")
            Activity.objects.bulk_create(
                [Activity(customer_id=pk, kind=Activity.Kind.CUSTOMER_CREATED, occurred_at=at,
                          reference=source, key=f"customer:{pk}:created")
                 for _email, pk, at in created],
                ignore_conflicts=True,
            )
            by_email.update({email: pk for email, pk, _at in created})
            totals["new_customers"] += len(missing)

        resolved: dict[str, int] = {}
        links, named, consent = {}, {}, {}
        for event in events:
            data = event.customer
            customer_id = by_external.get(data.external_id) or by_email.get(data.email)
            if customer_id is None:
                continue
            resolved[event.external_id] = customer_id
            if data.external_id and data.external_id not in by_external:
                links[data.external_id] = customer_id
            if customer_id in existing and (data.first_name or data.last_name):
                named[customer_id] = data
            if data.accepts_marketing is not None:
                newest = consent.get(customer_id)
                if newest is None or event.updated_at >= newest.updated_at:
                    consent[customer_id] = event
        ExternalId.objects.bulk_create(
            [ExternalId(customer_id=pk, source=source, external_id=ext)
             for ext, pk in links.items()],
            ignore_conflicts=True,
        )
        self.fill_blank_names(named)
        self.record_consent(consent, source)
        return resolved

    def fill_blank_names(self, named: dict[int, object]) -> None:
        """History fills in names we lack; it never overwrites newer ones."""
        blank = Customer.objects.filter(Q(first_name="") | Q(last_name=""), pk__in=list(named))
        changed = []
        for customer in blank:
            data = named[customer.pk]
            customer.first_name = customer.first_name or data.first_name
            customer.last_name = customer.last_name or data.last_name
            changed.append(customer)
        Customer.objects.bulk_update(changed, ["first_name", "last_name"])

    def record_consent(self, consent: dict[int, OrderEvent], source: str) -> None:
        """An old answer never replaces a newer one."""
        for customer in Customer.objects.filter(pk__in=list(consent)):
            event = consent[customer.pk]
            if customer.marketing_consent_at and customer.marketing_consent_at > event.updated_at:
                continue
            consent_set(customer=customer, accepts_marketing=event.customer.accepts_marketing,
                        source=source, at=event.updated_at)
