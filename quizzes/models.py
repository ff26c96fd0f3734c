import re

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Upper
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.ingestion.currencies import ISO_4217

MONEY = {"max_digits": 14, "decimal_places": 2}
TAG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def validate_currency(value: str) -> None:
    if value not in ISO_4217:
        raise ValidationError(_("'%(code)s' is not an ISO 4217 currency code."),
                              code="invalid_currency", params={"code": value})


def validate_tags(value) -> None:
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise ValidationError(_("Tags are a list of words."), code="invalid_tags")
    bad = [tag for tag in value if not TAG_PATTERN.match(tag)]
    if bad:
        raise ValidationError(
            _("Tags are lower-case letters and digits joined by hyphens (oily-skin); "
              "not: %(tags)s."),
            code="invalid_tags", params={"tags": ", ".join(bad)},
        )


class Product(models.Model):
    """A product of the shop that quizzes can recommend."""

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("product page"), max_length=500,
                          help_text=_("The product's page on the shop."))
    price = models.DecimalField(_("price"), validators=[MinValueValidator(0)], **MONEY)
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency],
                                help_text=_("ISO 4217 code, e.g. EUR."))
    image = models.ImageField(_("image"), upload_to="products/", blank=True)
    thumbnail = models.ImageField(
        _("thumbnail"), upload_to="products/thumbnails/", blank=True, editable=False
    )
    # SHA-256 of the file the image was made from, so a re-import of the same file is a no-op.
    image_source_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    tags = models.JSONField(
        _("tags"), default=list, blank=True, validators=[validate_tags],
        help_text=_("Lower-case slugs that quiz answers give weight to, e.g. oily-skin."),
    )
    in_stock = models.BooleanField(_("in stock"), default=True)
    active = models.BooleanField(_("active"), default=True)
    consumable = models.BooleanField(
        _("consumable"), default=False,
        help_text=_("Bought again and again (e.g. a cleanser): still recommended to customers "
                    "who already bought it."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_gte_0"),
            models.CheckConstraint(
                condition=Q(currency=Upper("currency")) & Exact(Length("currency"), 3),
                name="product_currency_iso_code",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})"
