import re

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Upper
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.currencies import validate_currency  # migration 0001 names it here

MONEY = {"max_digits": 14, "decimal_places": 2}
TAG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


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


def next_question_only_when_branching(model: str) -> models.CheckConstraint:
    """A question's or a choice's next question is set only when it branches to one."""
    return models.CheckConstraint(
        condition=Q(next_question__isnull=True) | Q(next="question"),
        name=f"{model}_next_question_only_when_branching",
        violation_error_message=_("Choose “Another question” to pick a next "
                                  "question, or clear the next question."),
    )


class Product(models.Model):
    """A product of the shop that quizzes can recommend."""

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("product page"), max_length=500,
                          help_text=_("The product's page on the shop."))
    variant_id = models.CharField(
        _("variant id"), max_length=64, blank=True,
        help_text=_("The platform's id of the product as it is sold (Shopify: the variant's "
                    "id; WooCommerce: the product's or variation's id), for add-to-cart links "
                    "that need it."))
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
    min_tier = models.ForeignKey(
        "loyalty.Tier", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("VIP only from tier"),
        help_text=_("Leave empty for everyone. Set a tier to recommend this product only to "
                    "signed-in customers in that tier or a higher one."),
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


class CatalogStamp(models.Model):
    """One row whose token the database changes whenever products are written, however they
    are written (admin, an import, a bulk update, SQL): triggers on the product table set it
    (migration 0007). A process keeps its prepared catalog while the token stays the same, so
    a quiz completion reads this one row, not the whole catalog, to know it is current."""

    token = models.CharField(max_length=64)

    def __str__(self):
        return self.token


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


class Question(models.Model):
    """One question of a quiz's draft. Staff edit these; publishing copies them into the
    version's frozen definition."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        SCALE = "scale", _("Scale 1-5")
        TEXT = "text", _("Short text")
        EMAIL = "email", _("Email capture")
        BIRTHDAY = "birthday", _("Birthday")

    class Next(models.TextChoices):
        NEXT = "next", _("The next question in order")
        QUESTION = "question", _("Another question")
        END = "end", _("The end (results)")

    CHOICE_KINDS = (Kind.SINGLE, Kind.MULTIPLE)

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions",
                             verbose_name=_("quiz"))
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Questions are asked in this order (smallest "
                                              "first) unless an answer branches elsewhere."),
    )
    text = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=300, blank=True,
                                 help_text=_("A hint shown under the question."))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SINGLE)
    required = models.BooleanField(_("required"), default=True)
    attribute = models.SlugField(
        _("profile attribute"), max_length=64, blank=True,
        help_text=_("The profile attribute the answer writes, e.g. skin_type; blank writes "
                    "nothing. Choice questions that write one need a value on every choice."),
    )
    max_choices = models.PositiveSmallIntegerField(
        _("most choices"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Multiple choice only: the most answers a shopper may tick; blank for no "
                    "limit."),
    )
    next = models.CharField(
        _("then go to"), max_length=16, choices=Next.choices, default=Next.NEXT,
        help_text=_("Where every answer goes unless its choice branches elsewhere."),
    )
    next_question = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("next question"),
        help_text=_("Only with “Another question”: a later question of the same quiz."),
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["quiz", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_choices__isnull=True) | Q(kind="multiple"),
                name="question_max_choices_multiple_only",
                violation_error_message=_("Only multiple-choice questions have a most "
                                          "number of choices."),
            ),
            next_question_only_when_branching("question"),
        ]

    def __str__(self):
        return self.text

    @property
    def key(self) -> str:
        return f"q{self.pk}"

    @property
    def has_choices(self) -> bool:
        return self.kind in self.CHOICE_KINDS


class Choice(models.Model):
    """One answer a shopper can pick on a single- or multiple-choice question."""

    class Next(models.TextChoices):
        FOLLOW = "follow", _("As the question says")
        QUESTION = "question", _("Another question")
        END = "end", _("The end (results)")

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices",
                                 verbose_name=_("question"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    label = models.CharField(_("label"), max_length=200)
    value = models.CharField(
        _("value"), max_length=200, blank=True,
        help_text=_("What the profile attribute is set to when chosen, e.g. oily."),
    )
    image = models.ImageField(_("image"), upload_to="quizzes/choices/", blank=True)
    excluded_tags = models.JSONField(
        _("excluded tags"), default=list, blank=True, validators=[validate_tags],
        help_text=_("Products with any of these tags are never recommended to whoever picks "
                    "this (a “fragrance-free only” answer excludes fragrance)."),
    )
    required_tags = models.JSONField(
        _("required tags"), default=list, blank=True, validators=[validate_tags],
        help_text=_("Only products with all of these tags are recommended to whoever picks "
                    "this."),
    )
    next = models.CharField(
        _("then go to"), max_length=16, choices=Next.choices, default=Next.FOLLOW,
        help_text=_("Branching: single-choice questions only."),
    )
    next_question = models.ForeignKey(
        Question, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("next question"),
    )

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["question", "position", "id"]
        constraints = [
            next_question_only_when_branching("choice"),
        ]

    def __str__(self):
        return self.label

    @property
    def key(self) -> str:
        return f"c{self.pk}"


class ChoiceWeight(models.Model):
    """How much picking a choice speaks for products with a tag, or for one product.
    Negative weights speak against. The mapping grid edits the tag weights of a whole quiz."""

    choice = models.ForeignKey(Choice, on_delete=models.CASCADE, related_name="weights",
                               verbose_name=_("choice"))
    tag = models.CharField(_("tag"), max_length=64, blank=True,
                           validators=[RegexValidator(TAG_PATTERN)],
                           help_text=_("A catalog tag, e.g. oily-skin; or leave blank and "
                                       "pick a product."))
    product = models.ForeignKey(Product, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+", verbose_name=_("product"))
    weight = models.SmallIntegerField(
        _("weight"), help_text=_("Positive speaks for, negative against; zero is no weight."),
    )

    class Meta:
        verbose_name = _("weight")
        verbose_name_plural = _("weights")
        ordering = ["choice", "tag", "product"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(tag="") & Q(product__isnull=False))
                | (~Q(tag="") & Q(product__isnull=True)),
                name="choiceweight_tag_xor_product",
                violation_error_message=_("A weight is toward a tag or a product, not both."),
            ),
            models.CheckConstraint(condition=~Q(weight=0), name="choiceweight_not_zero",
                                   violation_error_message=_("A weight of zero is no weight.")),
            models.UniqueConstraint(fields=["choice", "tag"], condition=~Q(tag=""),
                                    name="choiceweight_unique_tag",
                                    violation_error_message=_("This choice already has a "
                                                              "weight for this tag.")),
            models.UniqueConstraint(fields=["choice", "product"],
                                    condition=Q(product__isnull=False),
                                    name="choiceweight_unique_product",
                                    violation_error_message=_("This choice already has a "
                                                              "weight for this product.")),
        ]

    def __str__(self):
        return f"{self.choice}: {self.tag or self.product} {self.weight:+d}"


class QuizResponse(models.Model):
    """One shopper's pass through a quiz version. Saved as they go (a reload resumes at
    `current_question`); `token` is the secret that lets the same browser or storefront
    continue it. `customer` is set when the shopper is known (signed in, or gave their email
    with consent, or signed up later with that email)."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")

    class Channel(models.TextChoices):
        PAGE = "page", _("Shop page")
        API = "api", _("API")

    version = models.ForeignKey(QuizVersion, on_delete=models.PROTECT, related_name="responses",
                                verbose_name=_("version"))
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="quiz_responses", verbose_name=_("customer"),
    )
    email = models.EmailField(_("email"), blank=True,
                              help_text=_("Given on an email question; empty when none."))
    consent_given = models.BooleanField(
        _("marketing consent"), default=False,
        help_text=_("Ticked the marketing-consent box on the email question (unticked by "
                    "default)."),
    )
    token = models.CharField(_("resume token"), max_length=64, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices,
                               default=Channel.PAGE)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.IN_PROGRESS, db_index=True)
    current_question = models.CharField(
        _("current question"), max_length=32, blank=True,
        help_text=_("Key of the question the shopper is on; empty once completed."),
    )
    recommended_skus = models.JSONField(
        _("recommended SKUs"), default=list, blank=True,
        help_text=_("What the engine recommended at completion, best first, kept so the hit "
                    "rate can be measured even after the catalog changes."),
    )
    recommendations = models.JSONField(
        _("recommendations"), default=list, blank=True, editable=False,
        help_text=_("The same recommendations with their scores and reasons: "
                    '[{"sku", "score", "reasons"}], shown on the results page.'),
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True, db_index=True)
    synced_at = models.DateTimeField(
        _("added to profile"), null=True, blank=True, editable=False,
        help_text=_("When the answers became profile attributes and the completion an "
                    "activity; done once, when the response is completed by a known customer."),
    )

    # Not stored: what completing it in this request left at hand for the same request's
    # output (`recommendations_shown`, `response_answers`); absent on a response read back.
    products_shown: "dict[str, Product]"
    answers_saved: dict

    class Meta:
        verbose_name = _("quiz response")
        verbose_name_plural = _("quiz responses")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="completed", completed_at__isnull=False)
                           | Q(status="in_progress", completed_at__isnull=True)),
                name="quizresponse_completed_at_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["customer", "status", "-completed_at"],
                                name="quizresponse_customer_done")]

    def __str__(self):
        return f"{self.version} #{self.pk}"


class QuizAnswer(models.Model):
    """The shopper's answer to one question of a response: chosen choice keys (single and
    multiple choice) or a value (scale, text, email, birthday). One per response and question;
    answering again replaces it."""

    response = models.ForeignKey(QuizResponse, on_delete=models.CASCADE, related_name="answers",
                                 verbose_name=_("response"))
    question_key = models.CharField(_("question"), max_length=32)
    choice_keys = models.JSONField(_("choices"), default=list, blank=True)
    value = models.CharField(_("value"), max_length=255, blank=True)
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)

    class Meta:
        verbose_name = _("quiz answer")
        verbose_name_plural = _("quiz answers")
        ordering = ["response", "answered_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question_key"],
                                    name="quizanswer_unique_question"),
        ]

    def __str__(self):
        return f"{self.response_id}:{self.question_key}"


class QuizViewDay(models.Model):
    """How many times a quiz's intro page was viewed on a day: one row per quiz and day,
    incremented with F() so counting views never grows a table without bound."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="view_days",
                             verbose_name=_("quiz"))
    day = models.DateField(_("day"))
    views = models.PositiveIntegerField(_("views"), default=0)

    class Meta:
        verbose_name = _("quiz views per day")
        verbose_name_plural = _("quiz views per day")
        ordering = ["quiz", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "day"], name="quizviewday_unique_day"),
            models.CheckConstraint(condition=Q(views__gte=0), name="quizviewday_views_gte_0"),
        ]

    def __str__(self):
        return f"{self.quiz} {self.day}: {self.views}"
