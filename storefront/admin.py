from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kernel.admin import action_confirmed, confirm_action

from . import services
from .models import PublishableKey


@admin.register(PublishableKey)
class PublishableKeyAdmin(admin.ModelAdmin):
    """A storefront: its publishable key (public), its signing secret (the shop's server
    only), the origins allowed to use it, the shop's own sign-up and log-in pages, the theme."""

    list_display = ("name", "platform", "key", "created_at", "active")
    list_filter = ("platform", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "key", "allowed_origins")
    readonly_fields = ("key", "signing_secret", "created_at", "revoked_at")
    fieldsets = (
        (None, {"fields": ("name", "platform", "key", "signing_secret", "allowed_origins",
                           "created_at", "revoked_at")}),
        (gettext_lazy("The shop's pages"), {"fields": ("signup_url", "login_url",
                                                       "add_to_cart_url")}),
        (gettext_lazy("Look"), {"fields": ("launcher_text", "position", "accent_colour",
                                           "text_colour", "background_colour", "font_family")}),
    )
    actions = ("rotate_secret", "revoke_selected")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description=gettext_lazy("active"), boolean=True)
    def active(self, key):
        return key.is_active

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        fields = {name: form.cleaned_data[name] for name in form.cleaned_data
                  if name not in ("name", "platform", "allowed_origins")}
        created = services.publishable_key_create(
            name=form.cleaned_data["name"], platform=form.cleaned_data["platform"],
            allowed_origins=form.cleaned_data["allowed_origins"], **fields)
        obj.pk, obj.key, obj.signing_secret = created.pk, created.key, created.signing_secret
        obj.created_at = created.created_at
        obj._state.adding = False
        obj._state.db = created._state.db

    @admin.action(description=gettext_lazy("Make a new signing secret"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        if not action_confirmed(request):
            return confirm_action(
                request, self, queryset, action="rotate_secret",
                title=_("Make new signing secrets?"),
                question=_("Shoppers signed with the old secret are refused from now on: put "
                           "the new secret on the shop's server at once."),
                button=_("Yes, make new secrets"))
        for key in queryset:
            services.publishable_key_rotate_secret(publishable_key=key)
        self.message_user(request, _("New signing secrets made."), messages.SUCCESS)
        return None

    @admin.action(description=gettext_lazy("Revoke selected keys"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        if not action_confirmed(request):
            return confirm_action(
                request, self, queryset, action="revoke_selected",
                title=_("Revoke publishable keys?"),
                question=_("The widget stops working on the shops using these keys."),
                button=_("Yes, revoke them"))
        count = 0
        for key in queryset.filter(revoked_at__isnull=True):
            services.publishable_key_revoke(publishable_key=key)
            count += 1
        self.message_user(request, ngettext("Revoked %(n)d key.", "Revoked %(n)d keys.", count)
                          % {"n": count}, messages.SUCCESS)
        return None
