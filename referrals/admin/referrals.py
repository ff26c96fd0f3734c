"""Staff tools for refer-a-friend: the program's settings, referrals with their fraud checks,
the review queue for flagged ones, the numbers and the top advocates. Every change goes through
referrals.services."""

import datetime as dt

from django import forms
from django.contrib import admin
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kernel.admin import NoAdd, NoDelete, ReadOnlyInline, SingletonAdmin, form_action

from .. import selectors, services
from ..models import (
    FlaggedReferral,
    Referral,
    ReferralCheck,
    ReferralClick,
    ReferralCode,
    ReferralProgram,
)

REVIEW_TEMPLATE = "admin/referrals/review.html"
STATUS_COLOURS = {
    "signed_up": "#6b7280", "pending": "#d97706", "flagged": "#dc2626", "rewarded": "#16a34a",
    "void": "#9ca3af", "reversed": "#7c3aed", "blocked": "#111827", "rejected": "#991b1b",
    "expired": "#cbd5e1",
}


@admin.register(ReferralProgram)
class ReferralProgramAdmin(SingletonAdmin):
    fieldsets = [
        (None, {"fields": ("is_active",)}),
        (gettext_lazy("Incentives"), {
            "fields": ("friend_reward", "referrer_reward_kind", "referrer_reward"),
            "description": gettext_lazy(
                "The friend gets the welcome voucher as soon as they give their email on the "
                "share link's page. The referrer is rewarded after the hold: with points (set "
                "them on the loyalty earning rule for 'Referred a friend') or with a reward "
                "voucher."),
        }),
        (gettext_lazy("What qualifies"), {
            "fields": ("first_order_only", "minimum_order_total", "attribution_days",
                       "hold_days"),
            "description": gettext_lazy(
                "A friend's paid order carrying their voucher code or the referral code converts "
                "the referral. It then waits for the hold; a refund in that time voids it, a "
                "refund after it reverses the referrer's reward."),
        }),
        (gettext_lazy("Fraud checks"), {
            "fields": ("cap_per_30_days", "ip_referrals_7_days", "same_device_hours"),
            "description": gettext_lazy(
                "Self-referrals (same customer, same mailbox: Gmail ignores dots and +tags, "
                "same name and address) and friends who already ordered are blocked. The same "
                "IP address and browser as the referrer, or too many sign-ups from one IP, are "
                "flagged: flagged referrals are never paid until staff approve them in the "
                "review queue. Conversions over the cap are blocked."),
        }),
    ]
    readonly_fields = ("updated_at",)


class ReferralCheckInline(ReadOnlyInline):
    model = ReferralCheck
    fields = ("stage", "check_name", "outcome", "reason", "evidence_text", "created_at")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("evidence"))
    def evidence_text(self, obj):
        return format_html_join(", ", "{}: {}", sorted(obj.evidence.items())) or "-"


class ReviewForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=255, widget=forms.TextInput(attrs={"size": 60}),
        help_text=gettext_lazy("Kept on each referral and shown in its history."),
    )


class ReferralAdminBase(NoAdd, NoDelete, admin.ModelAdmin):
    list_display = ("__str__", "referrer", "status_badge", "flags", "order", "converted_at",
                    "hold_until", "created_at")
    list_filter = ("status", "created_at", "converted_at")
    search_fields = ("friend_email", "referrer__email", "code__code", "voucher_code",
                     "order__name", "order__external_id")
    list_select_related = ("referrer", "code")
    list_per_page = 50
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Referral._meta.fields]
    inlines = [ReferralCheckInline]
    actions = ["approve", "reject"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("checks")

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, obj):
        return format_html(
            '<span style="background:{};color:#fff;border-radius:1em;padding:0 .6em;'
            'white-space:nowrap">{}</span>',
            STATUS_COLOURS.get(obj.status, "#6b7280"), obj.get_status_display())

    @admin.display(description=gettext_lazy("friend's order"), ordering="order_total")
    def order(self, obj):
        return f"{obj.order_total} {obj.currency}" if obj.order_id else "-"

    @admin.display(description=gettext_lazy("checks that fired"))
    def flags(self, obj):
        fired = [c for c in obj.checks.all() if c.outcome != ReferralCheck.Outcome.PASSED]
        return ", ".join(f"{c.check_name} ({c.get_outcome_display().lower()})"
                         for c in fired) or "-"

    def _review(self, request, queryset, *, action: str, title: str, button: str, service):
        return form_action(
            request, self, queryset, form_class=ReviewForm, template=REVIEW_TEMPLATE,
            action=action, title=title, button=button,
            apply=lambda referral, data: service(referral=referral, by=request.user,
                                                 reason=data["reason"]),
            done_message=lambda n: ngettext(
                "%(action)s %(n)d referral.", "%(action)s %(n)d referrals.", n)
            % {"action": title, "n": n})

    @admin.action(description=gettext_lazy("Approve (pay after the hold)"),
                  permissions=["change"])
    def approve(self, request, queryset):
        return self._review(request, queryset, action="approve", title=_("Approved"),
                            button=_("Approve"), service=services.referral_approve)

    @admin.action(description=gettext_lazy("Reject (never pay)"), permissions=["change"])
    def reject(self, request, queryset):
        return self._review(request, queryset, action="reject", title=_("Rejected"),
                            button=_("Reject"), service=services.referral_reject)


@admin.register(Referral)
class ReferralAdmin(ReferralAdminBase):
    change_list_template = "admin/referrals/referral/change_list.html"

    def get_urls(self):
        return [
            path("advocates/", self.admin_site.admin_view(self.advocates_view),
                 name="referrals_referral_advocates"),
            *super().get_urls(),
        ]

    PERIODS = {"30": 30, "90": 90, "365": 365}

    def changelist_view(self, request, extra_context=None):
        # The numbers' period is not a list filter: take it out before the changelist sees it.
        request.GET = request.GET.copy()
        period = request.GET.pop("period", ["all"])[-1]
        days = self.PERIODS.get(period)
        since = timezone.now() - dt.timedelta(days=days) if days else None
        stats = selectors.program_stats(since=since)
        total = sum(stats["by_status"].values()) or 1
        bars = [{"label": label, "count": stats["by_status"].get(value, 0),
                 "percent": round(100 * stats["by_status"].get(value, 0) / total),
                 "colour": STATUS_COLOURS[value]}
                for value, label in Referral.Status.choices]
        return super().changelist_view(request, {
            **(extra_context or {}), "stats": stats, "status_bars": bars,
            "period": period if days else "all",
            "periods": [("30", _("30 days")), ("90", _("90 days")), ("365", _("12 months")),
                        ("all", _("All time"))],
        })

    def advocates_view(self, request):
        rows = selectors.advocate_leaderboard(limit=25)
        top = max((row["conversions"] for row in rows), default=0) or 1
        for row in rows:
            row["percent"] = round(100 * row["conversions"] / top)
        return TemplateResponse(request, "admin/referrals/referral/advocates.html", {
            **self.admin_site.each_context(request), "title": _("Top advocates"),
            "opts": self.model._meta, "rows": rows, "stats": selectors.program_stats(),
        })


@admin.register(FlaggedReferral)
class FlaggedReferralAdmin(ReferralAdminBase):
    list_filter = ("created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=Referral.Status.FLAGGED)


@admin.register(ReferralCode)
class ReferralCodeAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    """Each referrer's code with their numbers (clicks, sign-ups, conversions, revenue,
    points), sortable: the full list behind the top advocates."""

    list_display = ("code", "customer", "clicks_total", "signups", "conversions", "revenue",
                    "points", "created_at")
    search_fields = ("code", "customer__email", "customer__first_name", "customer__last_name")
    readonly_fields = ("customer", "code", "owner_seen_at", "created_at", "card_preview")
    fields = readonly_fields
    list_select_related = ("customer",)

    def get_queryset(self, request):
        converted = Q(referrals__status__in=Referral.CONVERTED)
        clicks = (ReferralClick.objects.filter(code=OuterRef("pk")).values("code")
                  .annotate(total=Sum("count")).values("total"))
        return super().get_queryset(request).annotate(
            clicks_sum=Coalesce(Subquery(clicks), 0),
            signups_count=Count("referrals", filter=~Q(referrals__status="blocked")),
            conversions_count=Count("referrals", filter=converted),
            revenue_sum=Sum("referrals__order_total", filter=converted),
            points_sum=Sum("referrals__reward_points", filter=Q(referrals__status="rewarded")),
        )

    @admin.display(description=gettext_lazy("clicks"), ordering="clicks_sum")
    def clicks_total(self, obj):
        return obj.clicks_sum

    @admin.display(description=gettext_lazy("sign-ups"), ordering="signups_count")
    def signups(self, obj):
        return obj.signups_count

    @admin.display(description=gettext_lazy("conversions"), ordering="conversions_count")
    def conversions(self, obj):
        return obj.conversions_count

    @admin.display(description=gettext_lazy("referred revenue"), ordering="revenue_sum")
    def revenue(self, obj):
        return obj.revenue_sum or 0

    @admin.display(description=gettext_lazy("points earned"), ordering="points_sum")
    def points(self, obj):
        return obj.points_sum or 0

    @admin.display(description=gettext_lazy("share card"))
    def card_preview(self, obj):
        if not obj.share_card:
            return _("Not drawn yet: it is drawn when the customer opens it.")
        return _("Drawn (%(kb)s kB).") % {"kb": len(obj.share_card) // 1024}
