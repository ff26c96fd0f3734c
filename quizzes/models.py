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


class Quiz(models.Model):
    """An onboarding quiz. Staff edit its questions and choices (the draft); publishing freezes
    the draft into a new `QuizVersion`, which is what shoppers take."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    slug = models.SlugField(_("slug"), max_length=80, unique=True,
                            help_text=_("The quiz's address: /quizzes/<slug>/."))
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("intro"), blank=True)
    cover_image = models.ImageField(_("cover image"), upload_to="quizzes/covers/", blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.DRAFT)
    results_heading = models.CharField(_("results heading"), max_length=200, blank=True)
    results_text = models.TextField(_("results text"), blank=True)
    recommend_count = models.PositiveSmallIntegerField(
        _("products to recommend"), default=3, validators=[MinValueValidator(1)],
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")
        ordering = ["title"]

    def __str__(self):
        return self.title


class QuizVersion(models.Model):
    """A published, frozen copy of a quiz: `definition` is the whole quiz as plain data (see
    quizzes/definition.py for its shape). Responses point at the version they answered, so
    later edits never change what an earlier shopper saw or what their answers meant."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="versions",
                             verbose_name=_("quiz"))
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    published_by = models.ForeignKey(
        "customers.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        verbose_name = _("quiz version")
        verbose_name_plural = _("quiz versions")
        ordering = ["quiz", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "number"], name="quizversion_unique_number"),
        ]

    def __str__(self):
        return f"{self.quiz} v{self.number}"
