"""Staff tools for NPS: the survey's settings, the follow-up queue for detractors, answers with
their comments, the invitations and contact log, and the NPS report. Changes call services."""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from customers.models import NpsCategory
from kernel.admin import (
    NoAdd,
    NoDelete,
    ReadOnlyAdmin,
    SingletonAdmin,
    YesNoFilter,
    action_confirmed,
    admin_link,
    confirm_action,
    form_action,
)
from kernel.admin_translations import TranslatedAdmin

from . import selectors, services
from .charts import trend_chart
from .models import NpsFollowUp, NpsInvitation, NpsResponse, NpsSurvey, SurveyContact

GOODWILL_TEMPLATE = "admin/referrals/nps_goodwill.html"
REPORT_TEMPLATE = "admin/referrals/nps_report.html"
REPORT_DEFAULT_DAYS = 90
REPORT_COMMENTS = 20


@admin.register(NpsSurvey)
class NpsSurveyAdmin(SingletonAdmin, TranslatedAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ("is_active",)}),
        (gettext_lazy("Questions"), {
            "fields": ("question", "promoter_question", "passive_question",
                       "detractor_question"),
            "description": gettext_lazy(
                "The email asks the question with eleven score links (0-10). The first click "
                "records the score; the page then asks the follow-up question of the score's "
                "category: promoters 9-10, passives 7-8, detractors 0-6. NPS is the percentage "
                "of promoters minus the percentage of detractors."),
        }),
        (gettext_lazy("When and whom to ask"), {
            "fields": ("delay_days", "lookback_days", "contact_cap_days",
                       "requires_marketing_consent", "link_valid_days"),
            "description": gettext_lazy(
                "Every hour, orders paid 'send after' days ago are surveyed: one email per "
                "order, about the customer's latest order, and never to a customer who got "
                "any survey email within the contact cap."),
        }),
        (gettext_lazy("Headless storefront"), {"fields": ("answer_page_url",)}),
    ]


class HasCommentFilter(YesNoFilter):
    title = gettext_lazy("comment")
    parameter_name = "has_comment"
    yes = ~Q(comment="")
    yes_label, no_label = gettext_lazy("With a comment"), gettext_lazy("Without a comment")


@admin.register(NpsResponse)
class NpsResponseAdmin(ReadOnlyAdmin):
    list_display = ("answered_at", "customer", "score", "category_badge", "comment_excerpt",
                    "tier", "channel")
    list_filter = ("category", HasCommentFilter, "tier", "channel", "score")
    search_fields = ("comment", "customer__email", "customer__first_name",
                     "customer__last_name")
    date_hierarchy = "answered_at"
    list_select_related = ("customer",)
    fields = ("customer_link", "invitation", "score", "category", "comment", "tier", "channel",
              "answered_at", "commented_at")
    readonly_fields = fields
    change_list_template = "admin/referrals/npsresponse/change_list.html"

    @admin.display(description=gettext_lazy("customer"))
    def customer_link(self, response):
        return admin_link(response.customer)

    @admin.display(description=gettext_lazy("category"), ordering="category")
    def category_badge(self, response):
        return format_html('<span class="nps-admin-badge nps-admin-badge--{}">{}</span>',
                           response.category, response.get_category_display())

    @admin.display(description=gettext_lazy("comment"))
    def comment_excerpt(self, response):
        return Truncator(response.comment).chars(120)

    def get_urls(self):
        report = self.admin_site.admin_view(self.report_view)
        return [path("report/", report, name="referrals_nps_report"), *super().get_urls()]

    def report_view(self, request):
        form = ReportPeriodForm(request.GET or None)
        today = timezone.now().date()
        start, end = today - dt.timedelta(days=REPORT_DEFAULT_DAYS - 1), today
        if form.is_valid():
            start = form.cleaned_data.get("start") or start
            end = form.cleaned_data.get("end") or end
        window = {"start": dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC),
                  "end": dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min,
                                             tzinfo=dt.UTC)}
        trend = selectors.nps_trend(months=12)
        comments = (NpsResponse.objects.exclude(comment="").select_related("customer")
                    .filter(answered_at__gte=window["start"], answered_at__lt=window["end"]))
        category = request.GET.get("category", "")
        if category in NpsCategory.values:
            comments = comments.filter(category=category)
        changelist = reverse("admin:referrals_npsresponse_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("NPS report"), "opts": self.model._meta, "form": form,
            "start": start, "end": end,
            "summary": selectors.nps_summary(**window),
            "trend": trend, "chart": trend_chart(trend),
            "by_tier": selectors.nps_by_tier(**window),
            "segment_fields": selectors.SEGMENT_FIELDS,
            "by_segment": {label: selectors.nps_by_segment(field=field, **window)
                           for field, label in selectors.SEGMENT_FIELDS.items()},
            "comments": comments[:REPORT_COMMENTS], "category": category,
            "categories": NpsCategory.choices,
            "changelist_url": changelist,
            "follow_ups_url": reverse("admin:referrals_npsfollowup_changelist"),
        }
        return TemplateResponse(request, REPORT_TEMPLATE, context)


class ReportPeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period starts after it ends."))
        return data


class GoodwillForm(forms.Form):
    points = forms.IntegerField(
        label=gettext_lazy("Points"), min_value=1,
        help_text=gettext_lazy("Added to the customer's balance as a ledger adjustment with "
                               "your name; once per case."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Kept on the ledger entry. Blank: 'Goodwill after NPS "
                               "follow-up #n'."),
    )


class NpsFollowUpForm(forms.ModelForm):
    class Meta:
        model = NpsFollowUp
        fields = ("status", "notes")


@admin.register(NpsFollowUp)
class NpsFollowUpAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    form = NpsFollowUpForm
    list_display = ("__str__", "customer", "score", "comment_excerpt", "status",
                    "assigned_to", "goodwill_points", "created_at")
    list_filter = ("status", "assigned_to")
    search_fields = ("customer__email", "customer__first_name", "customer__last_name",
                     "response__comment", "notes")
    list_select_related = ("customer", "response", "assigned_to")
    date_hierarchy = "created_at"
    readonly_fields = ("customer_link", "score", "comment", "order", "answered_at",
                       "assigned_to", "goodwill_points", "created_at", "contacted_at",
                       "resolved_at")
    fieldsets = [
        (gettext_lazy("What they said"), {
            "fields": ("customer_link", "score", "comment", "order", "answered_at")}),
        (gettext_lazy("Follow-up"), {
            "fields": ("status", "notes", "assigned_to", "goodwill_points", "created_at",
                       "contacted_at", "resolved_at"),
            "description": gettext_lazy(
                "A detractor (0-6) opens a case and alerts the staff address. Contact the "
                "customer, note what was said, and resolve the case. To apologise with points, "
                "use the 'Give goodwill points' action on the list: the points go through the "
                "loyalty ledger with your name, once per case."),
        }),
    ]
    actions = ["mark_contacted", "mark_resolved", "give_goodwill_points"]

    @admin.display(description=gettext_lazy("customer"))
    def customer_link(self, follow_up):
        return admin_link(follow_up.customer)

    @admin.display(description=gettext_lazy("score"), ordering="response__score")
    def score(self, follow_up):
        return follow_up.response.score

    @admin.display(description=gettext_lazy("comment"))
    def comment(self, follow_up):
        return follow_up.response.comment or _("(no comment)")

    @admin.display(description=gettext_lazy("comment"))
    def comment_excerpt(self, follow_up):
        return Truncator(follow_up.response.comment).chars(80)

    @admin.display(description=gettext_lazy("order"))
    def order(self, follow_up):
        return admin_link(follow_up.response.invitation.order)

    @admin.display(description=gettext_lazy("answered at"))
    def answered_at(self, follow_up):
        return follow_up.response.answered_at

    def save_model(self, request, obj, form, change):
        services.nps_follow_up_update(
            follow_up=obj, by=request.user, status=form.cleaned_data["status"],
            notes=form.cleaned_data["notes"],
        )

    def _set_status(self, request, queryset, *, status, action, title, question, button):
        if not action_confirmed(request):
            return confirm_action(request, self, queryset, action=action, title=title,
                                  question=question, button=button)
        for follow_up in queryset.order_by("pk"):
            services.nps_follow_up_update(follow_up=follow_up, by=request.user, status=status)
        count = queryset.count()
        self.message_user(request, ngettext("Updated %(n)d case.", "Updated %(n)d cases.",
                                            count) % {"n": count}, messages.SUCCESS)
        return None

    @admin.action(description=gettext_lazy("Mark contacted"), permissions=["change"])
    def mark_contacted(self, request, queryset):
        return self._set_status(
            request, queryset, status=NpsFollowUp.Status.CONTACTED, action="mark_contacted",
            title=_("Mark contacted?"), button=_("Yes, we contacted them"),
            question=_("Mark these cases as contacted? You become their owner if they have "
                       "none."))

    @admin.action(description=gettext_lazy("Mark resolved"), permissions=["change"])
    def mark_resolved(self, request, queryset):
        return self._set_status(
            request, queryset, status=NpsFollowUp.Status.RESOLVED, action="mark_resolved",
            title=_("Resolve cases?"), button=_("Yes, resolve them"),
            question=_("Mark these cases as resolved? They leave the open queue."))

    @admin.action(description=gettext_lazy("Give goodwill points"), permissions=["change"])
    def give_goodwill_points(self, request, queryset):
        return form_action(
            request, self, queryset.select_related("customer"), form_class=GoodwillForm,
            template=GOODWILL_TEMPLATE, action="give_goodwill_points",
            title=_("Give goodwill points"), button=_("Give points"),
            apply=lambda follow_up, data: services.nps_follow_up_goodwill_grant(
                follow_up=follow_up, by=request.user, **data),
            done_message=lambda n: ngettext(
                "Gave goodwill points on %(n)d case.", "Gave goodwill points on %(n)d cases.",
                n) % {"n": n})


@admin.register(NpsInvitation)
class NpsInvitationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "customer", "order", "sent_at", "expires_at", "answered")
    list_filter = (("sent_at", admin.EmptyFieldListFilter),
                   ("response", admin.EmptyFieldListFilter))
    search_fields = ("customer__email", "order__name", "order__external_id")
    list_select_related = ("customer", "order", "response")
    date_hierarchy = "created_at"
    exclude = ("nonce",)

    @admin.display(description=gettext_lazy("answer"))
    def answered(self, invitation):
        response = getattr(invitation, "response", None)
        return response.score if response else "—"


@admin.register(SurveyContact)
class SurveyContactAdmin(ReadOnlyAdmin):
    list_display = ("contacted_at", "customer", "survey", "key")
    list_filter = ("survey",)
    search_fields = ("customer__email", "key")
    list_select_related = ("customer",)
    date_hierarchy = "contacted_at"
