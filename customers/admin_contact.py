"""Admin for the shop's branding, the one contact budget, the marketing e-mails it counted and
the outbox (e-mails kept instead of sent, e.g. in the demo)."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from customers.models import Branding, ContactSettings, MarketingContact, OutboxEmail
from kernel.admin import ReadOnlyAdmin, SingletonAdmin


@admin.register(Branding)
class BrandingAdmin(SingletonAdmin):
    fields = ("shop_name", "logo", "primary_colour", "text_colour")


@admin.register(ContactSettings)
class ContactSettingsAdmin(SingletonAdmin):
    fieldsets = (
        (None, {"fields": ("marketing_cap", "marketing_cap_days"),
                "description": gettext_lazy(
                    "One budget for every marketing e-mail: win-back offers, points-expiry "
                    "reminders, NPS surveys, tier and points news. Vouchers just redeemed and "
                    "password resets never count and always go. Each marketing e-mail carries "
                    "an unsubscribe link and a List-Unsubscribe header.")}),
    )


@admin.register(MarketingContact)
class MarketingContactAdmin(ReadOnlyAdmin):
    list_display = ("sent_at", "customer", "kind")
    list_filter = ("kind", "sent_at")
    search_fields = ("customer__email",)
    list_select_related = ("customer",)
    date_hierarchy = "sent_at"


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "to", "subject")
    search_fields = ("to", "subject")
    list_filter = ("created_at",)
    fields = ("created_at", "to", "subject", "headers", "body", "html_preview")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("as the customer sees it"))
    def html_preview(self, message):
        if not message.html:
            return "—"
        return format_html('<iframe sandbox srcdoc="{}" title="{}" '
                           'style="inline-size:100%;block-size:40rem;border:1px solid #ccc">'
                           '</iframe>', message.html, message.subject)
