"""manage.py import_products PATH: load or refresh the product catalog from a CSV file."""

import csv
import re
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from tqdm import tqdm

from quizzes.catalogue.services import Outcome, product_upsert
from quizzes.errors import InvalidProduct

CSV_FIELDS = ("sku", "name", "url", "price", "currency", "tags", "in_stock", "active",
              "consumable", "image", "variant_id")
REQUIRED = ("sku", "name", "url", "price", "currency")
BOOLEAN_DEFAULTS = {"in_stock": True, "active": True, "consumable": False}
TRUE = {"1", "true", "yes", "y"}
FALSE = {"0", "false", "no", "n"}


def parse_row(row: dict, folder: Path) -> tuple[dict, Path | None]:
    """The arguments of product_upsert for one CSV row, and the image file it names; a row
    that can't be read raises InvalidProduct, as product_upsert does."""
    text = {name: (row.get(name) or "").strip() for name in CSV_FIELDS}
    errors: dict[str, str] = {}
    for name in REQUIRED:
        if not text[name]:
            errors[name] = _("This field is required.")
    price = None
    if text["price"]:
        try:
            price = Decimal(text["price"])
            if not price.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors["price"] = _("'%(value)s' is not a number.") % {"value": text["price"]}
    flags = {}
    for name, default in BOOLEAN_DEFAULTS.items():
        value = text[name].lower()
        if not value:
            flags[name] = default
        elif value in TRUE or value in FALSE:
            flags[name] = value in TRUE
        else:
            errors[name] = _("'%(value)s' is not true or false.") % {"value": text[name]}
    image_path = None
    if text["image"]:
        image_path = folder / text["image"]
        if not image_path.is_file():
            errors["image"] = _("No such file: %(path)s") % {"path": image_path}
    if errors:
        raise InvalidProduct(_("The product is not valid."), fields=errors)
    return {
        "sku": text["sku"], "name": text["name"], "url": text["url"], "price": price,
        "currency": text["currency"], "tags": re.split(r"[|;]", text["tags"]),
        "variant_id": text["variant_id"], **flags,
    }, image_path


class Command(BaseCommand):
    help = _(
        "Create or update products from a CSV file with the columns %(fields)s. Tags are "
        "separated by | or ;. in_stock and active default to true, consumable to false. image "
        "is a path relative to the CSV file; a blank image leaves the product's image as it "
        "is. Products are matched by SKU, and unchanged rows are left alone, so re-running a "
        "file changes nothing. Bad rows are reported with their line and skipped, and the "
        "command then exits non-zero."
    ) % {"fields": ", ".join(CSV_FIELDS)}

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("A .csv file."))

    def handle(self, *args, path, verbosity, **options):
        path = Path(path)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [name for name in REQUIRED if name not in (reader.fieldnames or [])]
            if missing:
                raise CommandError(
                    _("The CSV header has no %(column)s column; expected: %(fields)s.")
                    % {"column": missing[0], "fields": ", ".join(CSV_FIELDS)})
            rows = [(reader.line_num, row) for row in reader]

        totals = dict.fromkeys(Outcome, 0)
        problems: list[tuple[int, dict[str, str]]] = []
        for line, row in tqdm(rows, desc=_("Importing"), unit=_("product"), file=sys.stderr,
                              disable=verbosity == 0):
            try:
                totals[self.import_row(row, path.parent)] += 1
            except InvalidProduct as exc:
                problems.append((line, exc.fields or {"": exc.message}))

        for line, fields in problems:
            for field, message in fields.items():
                where = f"{field}: " if field else ""
                self.stderr.write(_("line %(line)d: %(where)s%(message)s")
                                  % {"line": line, "where": where, "message": message})
        self.stdout.write(
            _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
              "%(skipped)d skipped.")
            % {"created": totals[Outcome.CREATED], "updated": totals[Outcome.UPDATED],
               "unchanged": totals[Outcome.UNCHANGED], "skipped": len(problems)}
        )
        if problems:
            raise CommandError(ngettext("%(n)d row was skipped; see the lines above.",
                                        "%(n)d rows were skipped; see the lines above.",
                                        len(problems)) % {"n": len(problems)})

    def import_row(self, row: dict, folder: Path) -> Outcome:
        values, image_path = parse_row(row, folder)
        if image_path is None:
            return product_upsert(**values)[1]
        with image_path.open("rb") as handle:
            return product_upsert(**values, image=File(handle, name=image_path.name))[1]
