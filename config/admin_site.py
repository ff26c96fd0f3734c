"""Flywheel's admin site: the shop's name in the header, a dashboard on the home page, and one
page per customer that gathers what every app knows about them, with the actions staff take
from there. It lives in config because it reads every app (config may import them all); each
number and section comes from that app's selectors, each action calls that app's service."""

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kernel.errors import FlywheelError
from kernel.formats import money_format


class FlywheelAdminSite(admin.AdminSite):
    index_template = "admin/flywheel_index.html"

    def each_context(self, request):
        from customers.models import Branding

        context = super().each_context(request)
        name = Branding.cached().name
        context["site_header"] = _("%(shop)s · Flywheel") % {"shop": name}
        context["site_title"] = name
        return context

    def index(self, request, extra_context=None):
        return super().index(request, {"dashboard": dashboard_get(), **(extra_context or {})})

    def get_urls(self):
        return [
            path("customers/customer/<int:customer_id>/profile/",
                 self.admin_view(customer_page), name="customer_profile"),
            *super().get_urls(),
        ]


def dashboard_get(*, now: dt.datetime | None = None) -> list[dict]:
    """The program's numbers on the admin home, each {label, value, url}."""
    from customers.models import Customer, CustomerScore, Stage, WebhookDelivery
    from loyalty.models import LoyaltyAccount
    from loyalty.selectors import program_report_get
    from quizzes.models import Quiz
    from quizzes.selectors import quiz_hit_rate
    from referrals.nps.selectors import nps_summary

    now = now or timezone.now()
    report = program_report_get(now=now, months=1)
    this_month = report["months"][-1] if report["months"] else {"issued": 0, "redeemed": 0}
    nps = nps_summary()
    hits = [quiz_hit_rate(quiz=quiz) for quiz in Quiz.objects.filter(status="published")]
    followed, hit = sum(h.followed for h in hits), sum(h.hits for h in hits)
    stages = dict(CustomerScore.objects.filter(customer__erased_at__isnull=True)
                  .values_list("stage").annotate(n=Count("pk")))
    customers_url = reverse("admin:customers_customer_changelist")
    liability = report["available_value"] + report["pending_value"]
    numbers = [
        {"label": _("Members"), "value": LoyaltyAccount.objects.count(),
         "url": reverse("admin:loyalty_loyaltyaccount_changelist")},
        {"label": _("Points liability"),
         "value": money_format(liability, settings.SHOP_CURRENCY),
         "note": _("%(points)s points outstanding") % {
             "points": report["available"] + report["pending"]},
         "url": reverse("admin:loyalty_program_report")},
        {"label": _("Points issued this month"), "value": this_month["issued"],
         "url": reverse("admin:loyalty_program_report")},
        {"label": _("Points redeemed this month"), "value": this_month["redeemed"],
         "url": reverse("admin:loyalty_redemption_changelist")},
        {"label": _("NPS"), "value": "—" if nps["nps"] is None else nps["nps"],
         "note": _("%(n)s answers") % {"n": nps["responses"]},
         "url": reverse("admin:referrals_nps_report")},
        {"label": _("Quiz hit rate"),
         "value": f"{round(100 * hit / followed)} %" if followed else "—",
         "note": _("%(hits)s of %(followed)s known quiz takers bought a pick") % {
             "hits": hit, "followed": followed},
         "url": reverse("admin:quizzes_quiz_changelist")},
        {"label": _("Failed deliveries waiting"),
         "value": WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED).count(),
         "url": reverse("admin:customers_webhookdelivery_changelist") + "?status__exact=failed"},
        {"label": _("Customers"), "value": Customer.objects.filter(erased_at__isnull=True)
         .count(), "url": customers_url},
    ]
    for stage in Stage:
        numbers.append({"label": _("Stage: %(stage)s") % {"stage": stage.label},
                        "value": stages.get(stage.value, 0), "group": "stage",
                        "url": f"{customers_url}?score__stage__exact={stage.value}"})
    return numbers


# The customer page ---------------------------------------------------------------------------


class AdjustPointsForm(forms.Form):
    amount = forms.IntegerField(label=gettext_lazy("Points (negative to deduct)"))
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500,
                             help_text=gettext_lazy("Recorded on the entry, with your name."))


class SetTierForm(forms.Form):
    tier = forms.ModelChoiceField(queryset=None, required=False, label=gettext_lazy("Tier"),
                                  empty_label=gettext_lazy("No manual tier"))
    until = forms.DateField(label=gettext_lazy("Until"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)

    def __init__(self, *args, **kwargs):
        from loyalty.models import Tier

        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = Tier.objects.order_by("position")


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=gettext_lazy("I am sure"))


def _act(request, customer, action: str):
    """Run one confirmed action through its service; returns the form with errors or None."""
    from customers.services import customer_erase
    from loyalty import services as loyalty_services
    from loyalty.models import Redemption
    from loyalty.tasks import voucher_issued_email_task

    if action == "adjust":
        form = AdjustPointsForm(request.POST)
        if form.is_valid():
            account = loyalty_services.loyalty_account_get_or_create(customer=customer)
            loyalty_services.points_adjust(account=account, amount=form.cleaned_data["amount"],
                                           by=request.user, reason=form.cleaned_data["reason"])
            return None, _("Points adjusted.")
        return form, None
    if action == "tier":
        form = SetTierForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            until = (dt.datetime.combine(data["until"], dt.time(23, 59), tzinfo=dt.UTC)
                     if data["until"] else None)
            account = loyalty_services.loyalty_account_get_or_create(customer=customer)
            loyalty_services.tier_set_manual(account=account, tier=data["tier"], until=until,
                                             by=request.user, reason=data["reason"])
            return None, _("Tier set.")
        return form, None
    if action == "resend":
        voucher = get_object_or_404(Redemption, pk=request.POST.get("voucher"),
                                    account__customer=customer)
        voucher_issued_email_task.delay_on_commit(voucher.pk)
        return None, _("Voucher %(code)s sent again.") % {"code": voucher.code}
    if action == "erase":
        form = ConfirmForm(request.POST)
        if form.is_valid():
            customer_erase(customer=customer)
            return None, _("The customer's personal data was erased.")
        return form, None
    raise PermissionDenied


def customer_page(request, customer_id: int):
    """Everything about one customer, formatted for people, with the staff actions."""
    from customers.models import Customer, CustomerScore
    from customers.selectors import customer_since, shopper_answers
    from loyalty import selectors as loyalty_selectors
    from quizzes.models import QuizResponse
    from referrals.models import Referral
    from referrals.nps.models import NpsFollowUp, NpsResponse

    customer = get_object_or_404(Customer, pk=customer_id)
    if not request.user.has_perm("customers.view_customer"):
        raise PermissionDenied
    forms_ = {"adjust": AdjustPointsForm(), "tier": SetTierForm(), "erase": ConfirmForm()}
    if request.method == "POST":
        if not request.user.has_perm("customers.change_customer"):
            raise PermissionDenied
        action = request.POST.get("action", "")
        try:
            form, done = _act(request, customer, action)
        except FlywheelError as error:
            form, done = None, None
            messages.error(request, error.message)
        if done:
            messages.success(request, done)
            return redirect("admin:customer_profile", customer.pk)
        if form is not None:
            forms_[action] = form
    currency = settings.SHOP_CURRENCY
    score = CustomerScore.objects.filter(customer=customer).first()
    summary = loyalty_selectors.loyalty_summary_get(customer=customer)
    entries = loyalty_selectors.points_entry_causes(
        loyalty_selectors.points_entry_list(customer=customer)[:50])
    vouchers = list(loyalty_selectors.voucher_list(customer=customer)[:50])
    responses = (QuizResponse.objects.filter(customer=customer).select_related("version__quiz")
                 .order_by("-started_at")[:20])
    context = {
        **admin.site.each_context(request),
        "title": customer.full_name or customer.email,
        "customer": customer, "since": customer_since(customer),
        "spent": money_format(customer.total_spent, currency),
        "known_emails": list(customer.known_emails.all()),
        "external_ids": list(customer.external_ids.all()),
        "consent": list(customer.activities.filter(kind="consent_changed")
                        .order_by("-occurred_at")[:10]),
        "summary": summary, "entries": entries, "vouchers": vouchers,
        "answers": shopper_answers(customer=customer), "responses": responses,
        "referrals_made": Referral.objects.filter(referrer=customer).select_related("friend"),
        "referrals_received": Referral.objects.filter(friend=customer)
        .select_related("referrer"),
        "nps": NpsResponse.objects.filter(customer=customer).select_related("invitation__order"),
        "follow_ups": NpsFollowUp.objects.filter(customer=customer),
        "score": score,
        "clv": money_format(score.clv_predicted, currency) if score else None,
        "net_revenue": money_format(score.net_revenue, currency) if score else None,
        "p_alive": round(100 * score.p_alive) if score and score.p_alive is not None else None,
        "orders": customer.orders.order_by("-placed_at")[:20],
        "timeline": customer.activities.order_by("-occurred_at")[:30],
        "forms": forms_, "currency": currency,
        "can_change": request.user.has_perm("customers.change_customer"),
    }
    return TemplateResponse(request, "admin/customers/customer/profile.html", context)
