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
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from tqdm import tqdm

from customers.errors import InvalidEvent
from customers.ingestion.events import OrderEvent
from customers.ingestion.generic import parse_order
from customers.models import Customer, Source
from customers.services import orders_apply

CSV_FIELDS = (
    "order_id", "order_name", "status", "placed_at", "updated_at", "currency", "total",
    "refunded_total", "customer_id", "email", "first_name", "last_name", "sku", "line_name",
    "quantity", "price", "discount_codes",
)
JSONL_SUFFIXES = (".jsonl", ".ndjson")


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
        totals = {"orders": 0, "lines": 0, "refunds": 0, "known": 0, "skipped": 0, "tests": 0}
        customers: set[int] = set()  # ids only, for the count
        # Customers with a larger id are new (or were created meanwhile by a webhook).
        last_known = Customer.objects.aggregate(last=Max("pk"))["last"] or 0
        with self.bar(desc=_("Importing")) as bar:
            for chunk in batched(records, chunk_size):
                events = self.validate(chunk, source, totals)
                with transaction.atomic():
                    customers |= self.import_chunk(events, totals)
                bar.update(len(chunk))

        self.stdout.write(
            _("Imported %(orders)d orders (%(lines)d lines, %(refunds)d refunds) for "
              "%(customers)d customers, %(new)d of them new. %(known)d orders were already "
              "known, %(tests)d test orders were ignored, %(skipped)d were skipped.")
            % {"orders": totals["orders"], "lines": totals["lines"],
               "refunds": totals["refunds"], "customers": len(customers),
               "new": sum(pk > last_known for pk in customers), "known": totals["known"],
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

    def import_chunk(self, events: list[OrderEvent], totals: dict) -> set[int]:
        """The chunk's new orders through orders_apply as history (see there); returns the
        ids of their customers."""
        touched: set[int] = set()
        if not events:
            return touched
        for event, order in zip(events, orders_apply(events=events, history=True),
                                strict=True):
            if order is None:
                totals["known"] += 1
                continue
            totals["orders"] += 1
            totals["lines"] += len(event.lines or ())
            totals["refunds"] += order.refunded_total > 0
            if order.customer_id:
                touched.add(order.customer_id)
        return touched
