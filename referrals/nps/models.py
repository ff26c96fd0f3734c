"""NPS surveys: the settings, the contact log every survey shares, invitations, answers and the
follow-up cases staff work through for detractors."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname

from customers.models import Customer, NpsCategory, Order
from kernel.models import SingletonSettings

COMMENT_MAX_LENGTH = 2000


class NpsSurvey(SingletonSettings):
    """The NPS survey's settings: one row (`NpsSurvey.get()`), edited in admin."""

    is_active = models.BooleanField(
        _("send invitations"), default=True,
        help_text=_("Off: no new invitations go out. Links already sent keep working."),
    )
    question = models.CharField(
        _("question"), max_length=255,
        default=_("How likely are you to recommend us to a friend or colleague?"),
        help_text=_("Asked in the email above the eleven score buttons (0 to 10)."),
    )
    promoter_question = models.CharField(
        _("follow-up for promoters (9-10)"), max_length=255,
        default=_("Thank you! What do you love most about us?"),
    )
    passive_question = models.CharField(
        _("follow-up for passives (7-8)"), max_length=255,
        default=_("Thanks! What would make us a 10 for you?"),
    )
    detractor_question = models.CharField(
        _("follow-up for detractors (0-6)"), max_length=255,
        default=_("We're sorry to hear that. What went wrong, and how can we make it right?"),
        help_text=_("A detractor's answer opens a follow-up case for staff and alerts the "
                    "staff address."),
    )
    delay_days = models.PositiveSmallIntegerField(
        _("send after (days)"), default=14, validators=[MaxValueValidator(365)],
        help_text=_("An order is surveyed this many days after it was paid, so the customer "
                    "has received and tried what they bought. Refunded and cancelled orders "
                    "are not surveyed."),
    )
    lookback_days = models.PositiveSmallIntegerField(
        _("catch up for (days)"), default=14, validators=[MinValueValidator(1)],
        help_text=_("Orders that became due up to this many days ago are still surveyed (after "
                    "a pause or an outage); older ones never are."),
    )
    contact_cap_days = models.PositiveSmallIntegerField(
        _("contact a customer at most once per (days)"), default=90,
        validators=[MinValueValidator(1)],
        help_text=_("Shared with every other survey email: a customer who got any survey in "
                    "this many days gets no other."),
    )
    link_valid_days = models.PositiveSmallIntegerField(
        _("links valid for (days)"), default=30, validators=[MinValueValidator(1)],
        help_text=_("After this, the email's score links show an 'expired' page."),
    )
    answer_page_url = models.URLField(
        _("answer page (headless storefront)"), max_length=500, blank=True,
        help_text=_("Blank: the email's links open Flywheel's own survey page. A headless "
                    "storefront puts the address of its own page here, with {token} where the "
                    "link's token goes (https://shop.example/nps?t={token}); that page posts "
                    "the answer to /api/v1/nps/responses/."),
    )
    requires_marketing_consent = models.BooleanField(
        _("only customers who accept marketing"), default=True,
        help_text=_("On: only customers who opted in to marketing emails are surveyed. Erased "
                    "customers never are."),
    )

    class Meta(SingletonSettings.Meta):
        verbose_name = _("NPS survey settings")
        verbose_name_plural = _("NPS survey settings")

    def __str__(self):
        return str(_("NPS survey settings"))

    def clean(self):
        if self.answer_page_url and "{token}" not in self.answer_page_url:
            raise ValidationError({"answer_page_url": _("Put {token} where the link's token "
                                                        "goes.")})

    QUESTIONS = ("question", "promoter_question", "passive_question", "detractor_question")

    @classmethod
    def get(cls) -> "NpsSurvey":
        """The row; made the first time with each question in every language, from the
        catalogues (modeltranslation would write the active language's into all of them)."""
        survey, created = cls.objects.get_or_create(pk=1)
        if created:
            texts = {}
            for code, _language in settings.LANGUAGES:
                with translation.override(code):
                    texts.update({build_localized_fieldname(field, code):
                                  str(cls._meta.get_field(field).default)
                                  for field in cls.QUESTIONS})
            cls.objects.filter(pk=survey.pk).update(**texts)
            survey.refresh_from_db()
        return survey

    def follow_up_question(self, category: str) -> str:
        return {
            NpsCategory.PROMOTER: self.promoter_question,
            NpsCategory.PASSIVE: self.passive_question,
            NpsCategory.DETRACTOR: self.detractor_question,
        }[category]


class SurveyContact(models.Model):
    """A survey email sent to a customer. Every survey checks this log before it writes, so a
    customer is asked at most once per contact cap whichever survey asks."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="survey_contacts",
        verbose_name=_("customer"),
    )
    survey = models.SlugField(_("survey"), max_length=32, help_text=_("Which survey, e.g. nps."))
    contacted_at = models.DateTimeField(_("contacted at"), default=timezone.now)
    key = models.CharField(
        _("idempotency key"), max_length=200, unique=True,
        help_text=_("Derived from the cause (e.g. the order), so a retry never logs twice."),
    )

    class Meta:
        verbose_name = _("survey contact")
        verbose_name_plural = _("survey contacts")
        ordering = ["-contacted_at", "-id"]
        indexes = [models.Index(fields=["customer", "-contacted_at"])]

    def __str__(self):
        return f"{self.survey} · {self.contacted_at:%Y-%m-%d}"


class NpsInvitation(models.Model):
    """One order's survey email. Its links carry a token signed with the site's secret key over
    this invitation, its nonce and the score, so they can't be guessed or altered."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="nps_invitations",
        verbose_name=_("customer"),
    )
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="nps_invitations", verbose_name=_("order"),
    )
    question = models.CharField(_("question asked"), max_length=255)
    nonce = models.CharField(
        _("nonce"), max_length=32, editable=False,
        help_text=_("Random, signed into every link of this invitation."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("links expire"))
    sent_at = models.DateTimeField(_("email sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("NPS invitation")
        verbose_name_plural = _("NPS invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order"], name="npsinvitation_one_per_order"),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")),
                                   name="npsinvitation_expires_after_created"),
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self):
        return f"{self.customer} · {self.order}"


class NpsResponse(models.Model):
    """A customer's answer to one invitation: the score from the first click, then the
    follow-up comment."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email link")
        API = "api", _("Storefront (API)")

    invitation = models.OneToOneField(
        NpsInvitation, on_delete=models.CASCADE, related_name="response",
        verbose_name=_("invitation"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="nps_responses",
        verbose_name=_("customer"),
    )
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MaxValueValidator(10)],
    )
    category = models.CharField(_("category"), max_length=16, choices=NpsCategory.choices)
    comment = models.TextField(
        _("comment"), blank=True, validators=[MaxLengthValidator(COMMENT_MAX_LENGTH)],
    )
    tier = models.CharField(
        _("tier when answering"), max_length=100, blank=True,
        help_text=_("The customer's loyalty tier at the time, so reports by tier don't move "
                    "when tiers change later."),
    )
    channel = models.CharField(
        _("answered through"), max_length=8, choices=Channel.choices, default=Channel.EMAIL,
    )
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now, db_index=True)
    commented_at = models.DateTimeField(_("commented at"), null=True, blank=True)

    class Meta:
        verbose_name = _("NPS answer")
        verbose_name_plural = _("NPS answers")
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=10), name="npsresponse_score_0_10"),
            models.CheckConstraint(
                condition=(Q(category="promoter", score__gte=9)
                           | Q(category="passive", score__gte=7, score__lte=8)
                           | Q(category="detractor", score__lte=6)),
                name="npsresponse_category_matches_score",
            ),
        ]

    def __str__(self):
        return f"{self.customer} · {self.score}"


class NpsFollowUp(models.Model):
    """A detractor's answer, for staff to follow up: open, contacted, resolved."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONTACTED = "contacted", _("Contacted")
        RESOLVED = "resolved", _("Resolved")

    response = models.OneToOneField(
        NpsResponse, on_delete=models.CASCADE, related_name="follow_up",
        verbose_name=_("answer"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="nps_follow_ups",
        verbose_name=_("customer"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True,
    )
    notes = models.TextField(
        _("notes"), blank=True,
        help_text=_("What was said and done; each staff member's notes stay on the case."),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("handled by"),
    )
    goodwill_points = models.PositiveIntegerField(
        _("goodwill points"), default=0,
        help_text=_("Points given as an apology, through the loyalty ledger (once per case)."),
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    contacted_at = models.DateTimeField(_("contacted"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("detractor follow-up")
        verbose_name_plural = _("detractor follow-ups")
        ordering = ["created_at", "id"]

    def __str__(self):
        return str(_("Follow-up #%(id)s · %(customer)s") % {"id": self.pk,
                                                             "customer": self.customer})
