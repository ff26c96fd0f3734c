"""The admin toolkit every app's admin uses: actions that ask first, read-only admins and
inlines, permission mixins, the one settings-row admin, coloured statuses, a yes/no filter and
links to a row's admin page. It registers no model."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from kernel.errors import FlywheelError

CONFIRM_TEMPLATE = "admin/kernel/confirm_action.html"
ACTIVITY_INLINE_LIMIT = 50


def confirm_action(request, modeladmin, queryset, *, action: str, title: str, question: str,
                   button: str, note: str = "", objects=None) -> TemplateResponse:
    """An intermediate page like delete's: lists the objects and posts the action again."""
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "question": question,
        "note": note,
        "button": button,
        "opts": opts,
        "action": action,
        "queryset": queryset,
        "objects": queryset if objects is None else objects,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)


def action_confirmed(request) -> bool:
    return request.POST.get("post") == "yes"


def apply_each(request, modeladmin, objects, apply) -> int:
    """`apply(obj)` for each object of an admin action; a refusal (FlywheelError) is reported
    for its row and the others go on. How many were done."""
    done = 0
    for obj in objects:
        try:
            apply(obj)
            done += 1
        except FlywheelError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
    return done


def form_action(request, modeladmin, queryset, *, form_class, template: str, action: str,
                title: str, button: str, apply, done_message) -> TemplateResponse | None:
    """An admin action that asks for a form first (its page extends
    admin/kernel/action_form.html). Until the form is valid the page is shown again; then
    `apply(obj, cleaned_data)` runs for each selected row in primary-key order, a refusal
    (FlywheelError) is reported for its row, and `done_message(n)` reports the rest."""
    form = form_class(request.POST if request.POST.get("apply") else None)
    if not form.is_valid():
        return TemplateResponse(request, template, {
            **modeladmin.admin_site.each_context(request), "title": title, "button": button,
            "opts": modeladmin.model._meta, "form": form, "queryset": queryset,
            "action": action, "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": modeladmin.media + form.media,
        })
    done = apply_each(request, modeladmin, queryset.order_by("pk"),
                      lambda obj: apply(obj, form.cleaned_data))
    if done:
        modeladmin.message_user(request, done_message(done), messages.SUCCESS)
    return None


# Permissions. Each mixin goes before the admin or inline class it restricts; the signatures
# fit both (an inline's permission methods also take the parent object).


class NoAdd:
    def has_add_permission(self, request, obj=None):
        return False


class NoChange:
    def has_change_permission(self, request, obj=None):
        return False


class NoDelete:
    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoAdd, NoChange, NoDelete, admin.ModelAdmin):
    """Records the system writes and nobody edits (orders as the shop sent them, logs,
    survey answers): staff search and read them, never add, change or delete one."""


class ReadOnlyInline(NoAdd, NoChange, NoDelete, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class NewestFormSet(BaseInlineFormSet):
    """Only the newest rows (the inline's ordering): a loyal customer's history has
    thousands. Set `limit` and, for the row's foreign keys, `related` on a subclass."""

    limit = ACTIVITY_INLINE_LIMIT
    related: tuple[str, ...] = ()

    def get_queryset(self):
        # Sliced once and kept: the formset asks for its queryset once per row, and a fresh
        # slice each time would query the database again for every row.
        if not hasattr(self, "_newest"):
            queryset = super().get_queryset()
            if self.related:
                queryset = queryset.select_related(*self.related)
            self._newest = queryset[:self.limit]
        return self._newest


class SingletonAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    """The one settings row of a kernel.models.SingletonSettings model: the list goes straight
    to it (made with its defaults the first time), and it is never added or deleted."""

    def changelist_view(self, request, extra_context=None):
        opts = self.model._meta
        return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", self.model.get().pk)


# Display helpers

# The one palette of statuses, by what the status means to staff: (colour, icon).
WAITING, DONE, SKIPPED, FAILED = "waiting", "done", "skipped", "failed"
STATUS_STYLE = {
    WAITING: ("#92400e", "⏳"),
    DONE: ("#166534", "✔"),
    SKIPPED: ("#475569", "–"),
    FAILED: ("#b91c1c", "✘"),
}


def coloured_status(label: str, meaning: str | None):
    """A status as a coloured word with its icon; `meaning` is a key of STATUS_STYLE (another
    value shows the word plain)."""
    colour, icon = STATUS_STYLE.get(meaning, ("inherit", ""))
    return format_html('<strong style="color: {}">{} {}</strong>', colour, icon, label)


def admin_link(obj):
    """A link to the row's page in admin; a dash for no row."""
    if obj is None:
        return "–"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj)


class YesNoFilter(admin.SimpleListFilter):
    """A yes/no list filter. Subclasses set `title`, `parameter_name` and `yes` (a Q that the
    "yes" rows match; "no" is the rest), and may rename the choices."""

    yes: Q
    yes_label = no_label = None

    def lookups(self, request, model_admin):
        return [("yes", self.yes_label or _("Yes")), ("no", self.no_label or _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(self.yes)
        if self.value() == "no":
            return queryset.exclude(self.yes)
        return queryset
