"""Staff admin for quizzes: the builder, the mapping grid, publishing and the funnel. The
catalog's and the responses' admins are in their sub-packages, registered from here."""

import dataclasses
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db.models import Count, Max
from django.forms.formsets import INITIAL_FORM_COUNT, TOTAL_FORM_COUNT, ManagementForm
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from modeltranslation.admin import (
    TranslationStackedInline,
    TranslationTabularInline,
)

from kernel.admin import NoAdd, ReadOnlyInline, action_confirmed, confirm_action
from kernel.admin_translations import TranslatedAdmin
from kernel.errors import FlywheelError, InvalidImage
from quizzes import selectors, services, validation
from quizzes.catalogue import admin as catalogue_admin  # noqa: F401 (registers Product)
from quizzes.catalogue.admin import TagsField, image_preview
from quizzes.catalogue.images import image_clean
from quizzes.catalogue.selectors import catalog_tags
from quizzes.errors import InvalidGrid
from quizzes.models import Choice, ChoiceWeight, Question, Quiz, QuizVersion
from quizzes.responses import admin as responses_admin  # noqa: F401 (registers responses)

# The quiz builder: quizzes with their questions, questions with their choices, a choice with
# its weights; the mapping grid; publishing and duplicating. Every write goes through the
# services, and every save is checked with the same rules publishing applies
# (quizzes/validation.py), on the edited values before anything is written.


def _tags_field(label, help_text):
    return TagsField(label=label, required=False, help_text=help_text)


class ChoiceForm(forms.ModelForm):
    excluded_tags = _tags_field(
        gettext_lazy("excluded tags"),
        gettext_lazy("Products with any of these tags are never recommended to whoever picks "
                     "this, e.g. fragrance."))
    required_tags = _tags_field(
        gettext_lazy("required tags"),
        gettext_lazy("Only products with all of these tags are recommended to whoever picks "
                     "this."))

    class Meta:
        model = Choice
        fields = ["position", "label", "value", "image", "excluded_tags", "required_tags",
                  "next", "next_question"]

    def clean_image(self):
        """Choice images go through the product images' checks and are stored from their
        pixels alone (no EXIF or GPS position)."""
        image = self.cleaned_data.get("image")
        if image and "image" in self.changed_data:
            try:
                clean = image_clean(file=image)
            except InvalidImage as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from exc
            return ContentFile(clean.content, name=f"{Path(image.name).stem}.{clean.extension}")
        return image


def next_question_field(db_field, quiz_id: int | None, *, exclude: int | None = None,
                        **kwargs):
    """A plain select of the questions of one quiz, in asking order (no "add" popup: a
    branch goes to a question of the same quiz)."""
    queryset = Question.objects.filter(quiz_id=quiz_id) if quiz_id else Question.objects.none()
    if exclude:
        queryset = queryset.exclude(pk=exclude)
    kwargs["queryset"] = queryset.order_by("position", "id")
    return db_field.formfield(**kwargs)


def _apply_problems(formset, problems, forms_by_key) -> None:
    """Attach each problem to the form of its question, or to the whole formset."""
    general = []
    for problem in problems:
        form = forms_by_key.get(problem.question)
        if form is not None:
            form.add_error(None, problem.message)
        else:
            general.append(problem.message)
    if general:
        raise forms.ValidationError(general)


def _problems_added(stored: list[Question], nodes: list, *, touched: set[str]) -> list:
    """The problems the draft gains when its stored questions become `nodes` ((position, pk,
    node), in any order): the rules publishing applies, on the edited values."""
    nodes = sorted(nodes, key=lambda item: item[:2])
    after = validation.quiz_problems([node for *_order, node in nodes])
    before = validation.quiz_problems([services.question_node(q) for q in stored])
    return validation.problems_added(before=before, after=after, touched=touched)


class QuestionInlineFormSet(forms.BaseInlineFormSet):
    """Checks the quiz as it would be after this save: branching, kinds, values."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        quiz = self.instance
        stored = services.quiz_questions(quiz) if quiz.pk else []
        choices = {question.pk: list(question.choices.all()) for question in stored}
        nodes, touched, forms_by_key = [], set(), {}
        for index, form in enumerate(self.forms):
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            question = form.instance
            key = question.key if question.pk else f"new{index}"
            forms_by_key[key] = form
            if form.has_changed():
                touched.add(key)
            node = services.question_node(question, choices.get(question.pk, []))
            nodes.append((question.position, question.pk or 10**9 + index,
                          dataclasses.replace(node, key=key)))
        _apply_problems(self, _problems_added(stored, nodes, touched=touched), forms_by_key)


class QuestionInline(TranslationTabularInline):
    model = Question
    fk_name = "quiz"
    formset = QuestionInlineFormSet
    fields = ["position", "text", "kind", "required", "attribute", "max_choices", "next",
              "next_question", "choice_count"]
    readonly_fields = ["choice_count"]
    extra = 0
    show_change_link = True
    verbose_name_plural = gettext_lazy("questions (open one to edit its choices)")

    def get_formset(self, request, obj=None, **kwargs):
        self._quiz = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "next_question":
            quiz = getattr(self, "_quiz", None)
            return next_question_field(db_field, quiz.pk if quiz else None, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(choices_total=Count("choices"))

    @admin.display(description=gettext_lazy("choices"))
    def choice_count(self, question):
        return getattr(question, "choices_total", "—")


class VersionInline(ReadOnlyInline):
    model = QuizVersion
    fields = ["number", "published_at", "published_by"]
    readonly_fields = fields
    ordering = ["-number"]
    verbose_name_plural = gettext_lazy("published versions (frozen; shoppers take the newest)")


class WeightField(forms.CharField):
    """One cell of the mapping grid: a whole number, or blank for no weight."""

    def to_python(self, value):
        raw = super().to_python(value)
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            raise forms.ValidationError(_("“%(value)s” is not a whole number.") % {"value": raw},
                                        code="invalid") from None


class WeightRowForm(forms.Form):
    """One row of the grid: a choice's weight toward each tag, a field per tag."""

    def __init__(self, *args, tags: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for tag in tags:
            self.fields[tag] = WeightField(required=False)


class WeightGridFormSet(forms.BaseFormSet):
    """The mapping grid as a formset: a form per choice row, its cells named `w-<choice>-<tag>`.
    The rows are the quiz's own (read from the database), not counted by the post, so there is
    no management form to send."""

    form = WeightRowForm
    extra = 0
    min_num = 0
    max_num = absolute_max = 100_000
    validate_min = validate_max = can_order = can_delete = can_delete_extra = False
    renderer = None  # the default one

    def __init__(self, data=None, *, grid):
        self.grid = grid
        super().__init__(data, prefix="w", initial=[row.weights for row in grid.rows],
                         form_kwargs={"tags": grid.tags})

    def total_form_count(self) -> int:
        return len(self.grid.rows)

    def initial_form_count(self) -> int:
        return len(self.grid.rows)

    def add_prefix(self, index) -> str:
        return f"{self.prefix}-{self.grid.rows[index].choice.pk}"

    @property
    def management_form(self):
        rows = len(self.grid.rows)
        form = ManagementForm({f"{self.prefix}-{TOTAL_FORM_COUNT}": rows,
                               f"{self.prefix}-{INITIAL_FORM_COUNT}": rows},
                              prefix=self.prefix, renderer=self.renderer)
        form.full_clean()
        return form

    def weights(self) -> dict[tuple[int, str], int]:
        """(choice id, tag) -> weight for every filled cell, once the formset is valid."""
        return {(row.choice.pk, tag): weight
                for row, form in zip(self.grid.rows, self.forms, strict=True)
                for tag, weight in form.cleaned_data.items() if weight is not None}

    def sections(self) -> list[dict]:
        """The grid's rows grouped by question, each cell with its shown value and error."""
        sections: list[dict] = []
        for row, form in zip(self.grid.rows, self.forms, strict=True):
            cells = []
            for tag in self.grid.tags:
                field = form[tag]
                value = field.value()
                errors = form.errors.get(tag) if self.is_bound else None
                cells.append({"name": field.html_name, "tag": tag,
                              "value": "" if value is None else str(value).strip(),
                              "error": errors[0] if errors else ""})
            if not sections or sections[-1]["question"] != row.question:
                sections.append({"question": row.question, "rows": []})
            sections[-1]["rows"].append({"choice": row.choice, "cells": cells})
        return sections


# The quiz's texts in tabs, a tab per language (modeltranslation's, with jQuery UI served from
# static/vendor), labelled and searched in every language as the shop's other words are.
@admin.register(Quiz)
class QuizAdmin(TranslatedAdmin):
    list_display = ["title", "slug", "status", "question_total", "latest_version", "tools"]
    list_filter = ["status"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["status", "draft_state", "tools", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "draft_state", "tools"]}),
        (gettext_lazy("Start"), {"fields": ["intro", "cover_image"]}),
        (gettext_lazy("Results"), {"fields": ["results_heading", "results_text",
                                              "recommend_count"]}),
        (gettext_lazy("Record"), {"fields": ["created_at", "updated_at"],
                                  "classes": ["collapse"]}),
    ]
    inlines = [QuestionInline, VersionInline]
    actions = ["publish", "duplicate"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "slug":
            # Admin shows help text as HTML: the model's "<slug>" would vanish.
            kwargs["help_text"] = _("The quiz's address: /quizzes/%(example)s/.") % {
                "example": "skin-routine"}
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            questions_total=Count("questions", distinct=True),
            latest=Max("versions__number"),
        )

    @admin.display(description=gettext_lazy("questions"), ordering="questions_total")
    def question_total(self, quiz):
        return quiz.questions_total

    @admin.display(description=gettext_lazy("published version"), ordering="latest")
    def latest_version(self, quiz):
        return quiz.latest or "—"

    @admin.display(description=gettext_lazy("draft"))
    def draft_state(self, quiz):
        if not quiz.pk:
            return "—"
        latest = quiz.versions.order_by("-number").first()
        if latest is None:
            return _("Not published yet.")
        if latest.definition == services.quiz_definition_build(quiz=quiz):
            return _("Same as the published version %(number)d.") % {"number": latest.number}
        return _("Changed since version %(number)d: shoppers see the changes once you "
                 "publish again.") % {"number": latest.number}

    @admin.display(description=gettext_lazy("tools"))
    def tools(self, quiz):
        if not quiz.pk:
            return "—"
        links = [
            (reverse("quiz_preview", args=[quiz.slug]), _("Preview")),
            (reverse("admin:quizzes_quiz_grid", args=[quiz.pk]), _("Mapping grid")),
            (reverse("admin:quizzes_quiz_analytics", args=[quiz.pk]), _("Analytics")),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        problems = services.quiz_problems(quiz=form.instance)
        if problems:
            self.message_user(
                request,
                _("Saved as a draft. Before it can be published: %(problems)s")
                % {"problems": " ".join(p.message for p in problems)},
                messages.WARNING,
            )

    @admin.action(description=gettext_lazy("Publish the selected quizzes (freeze a new "
                                            "version)"))
    def publish(self, request, queryset):
        if not action_confirmed(request):
            return confirm_action(
                request, self, queryset, action="publish", title=_("Publish quizzes?"),
                question=_("Publish these quizzes? Each draft is checked and frozen as a new "
                           "version that shoppers take from now on."),
                note=_("Shoppers already taking a quiz keep the version they started; "
                       "earlier responses keep theirs."),
                button=_("Yes, publish"),
            )
        for quiz in queryset:
            try:
                version = services.quiz_publish(quiz=quiz, by=request.user)
            except FlywheelError as exc:
                self.message_user(request, f"{quiz}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, _("%(quiz)s: version %(number)d published.")
                                  % {"quiz": quiz, "number": version.number}, messages.SUCCESS)
        return None

    @admin.action(description=gettext_lazy("Duplicate the selected quizzes (as drafts)"))
    def duplicate(self, request, queryset):
        for quiz in queryset:
            copy = services.quiz_duplicate(quiz=quiz)
            self.message_user(request, format_html(
                _("{} duplicated as <a href=\"{}\">{}</a> (a draft)."), quiz,
                reverse("admin:quizzes_quiz_change", args=[copy.pk]), copy), messages.SUCCESS)

    def get_urls(self):
        own = [
            path("<int:quiz_id>/grid/", self.admin_site.admin_view(self.grid_view),
                 name="quizzes_quiz_grid"),
            path("<int:quiz_id>/grid/export/", self.admin_site.admin_view(self.grid_export),
                 name="quizzes_quiz_grid_export"),
            path("<int:quiz_id>/analytics/", self.admin_site.admin_view(self.analytics_view),
                 name="quizzes_quiz_analytics"),
        ]
        return own + super().get_urls()

    def _quiz_or_404(self, request, quiz_id, *, change: bool):
        quiz = Quiz.objects.filter(pk=quiz_id).first()
        allowed = (self.has_change_permission(request, quiz) if change
                   else self.has_view_permission(request, quiz))
        if quiz is None:
            raise Http404(_("No such quiz."))
        if not allowed:
            raise PermissionDenied
        return quiz

    def grid_view(self, request, quiz_id):
        """Every choice-to-tag weight of the quiz on one screen, with CSV export and import."""
        quiz = self._quiz_or_404(request, quiz_id, change=request.method == "POST")
        if request.method == "POST" and "import" in request.POST:
            upload = request.FILES.get("file")
            try:
                if upload is None:
                    raise InvalidGrid(_("Choose a CSV file to import."))
                try:
                    text = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError as exc:
                    raise InvalidGrid(_("The file is not UTF-8 text (save it as “CSV UTF-8”)."))\
                        from exc
                known = catalog_tags() | set(selectors.quiz_grid(quiz=quiz).tags)
                count = services.quiz_grid_import(quiz=quiz, text=text, known_tags=known)
            except InvalidGrid as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, ngettext("Imported: %(count)d weight changed.",
                                                    "Imported: %(count)d weights changed.",
                                                    count) % {"count": count},
                                  messages.SUCCESS)
                return HttpResponseRedirect(request.path)
        grid = selectors.quiz_grid(quiz=quiz)
        formset = WeightGridFormSet(grid=grid)
        if request.method == "POST" and "import" not in request.POST:
            formset = WeightGridFormSet(request.POST, grid=grid)
            if formset.is_valid():
                try:
                    count = services.quiz_grid_set(quiz=quiz, weights=formset.weights())
                except InvalidGrid as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                else:
                    self.message_user(request, ngettext("Saved: %(count)d weight changed.",
                                                        "Saved: %(count)d weights changed.",
                                                        count) % {"count": count},
                                      messages.SUCCESS)
                    return HttpResponseRedirect(request.path)
            else:
                self.message_user(request, _("Nothing was saved: fix the weights marked "
                                             "below."), messages.ERROR)
        sections = formset.sections()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": quiz,
            "title": _("Mapping grid: %(quiz)s") % {"quiz": quiz},
            "tags": grid.tags,
            "sections": sections,
            "has_errors": formset.is_bound and not formset.is_valid(),
            "can_change": self.has_change_permission(request, quiz),
        }
        return TemplateResponse(request, "admin/quizzes/quiz/grid.html", context)

    def analytics_view(self, request, quiz_id):
        """The quiz's funnel, drop-off chart, answer spread and recommendation hit rate."""
        quiz = self._quiz_or_404(request, quiz_id, change=False)
        funnel = selectors.quiz_funnel(quiz=quiz)
        hit = selectors.quiz_hit_rate(quiz=quiz)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": quiz,
            "title": _("Analytics: %(quiz)s") % {"quiz": quiz},
            "funnel": funnel,
            "hit": hit,
            "chart": drop_off_chart(funnel),
        }
        return TemplateResponse(request, "admin/quizzes/quiz/analytics.html", context)

    def grid_export(self, request, quiz_id):
        quiz = self._quiz_or_404(request, quiz_id, change=False)
        response = HttpResponse(selectors.quiz_grid_csv(quiz=quiz),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{quiz.slug}-grid.csv"'
        return response


CHART_ROW = 28
CHART_LABEL = 220
CHART_BAR = 360


def drop_off_chart(funnel) -> dict:
    """Geometry of the drop-off chart (an SVG drawn by the template): per question, a bar for
    the responses that reached it and, inside it, the part that stopped there; lengths are
    relative to the responses started."""
    most = max([funnel.starts, *(q.reached for q in funnel.questions)], default=0) or 1
    rows = []
    for index, question in enumerate(funnel.questions):
        reached = round(CHART_BAR * question.reached / most)
        stopped = round(CHART_BAR * question.stopped / most)
        rows.append({
            "y": index * CHART_ROW, "text_y": index * CHART_ROW + CHART_ROW // 2 + 4,
            "label": Truncator(f"{index + 1}. {question.text}").chars(32),
            "reached": reached, "stopped": stopped, "stopped_x": CHART_LABEL + reached - stopped,
            "value_x": CHART_LABEL + reached + 6, "question": question,
        })
    return {"rows": rows, "label_width": CHART_LABEL, "row": CHART_ROW - 6,
            "width": CHART_LABEL + CHART_BAR + 120,
            "height": max(len(rows), 1) * CHART_ROW}


class ChoiceInlineFormSet(forms.BaseInlineFormSet):
    """Checks the quiz as it would be with this question and these choices."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        question = self.instance
        quiz = question.quiz if question.quiz_id else None
        if quiz is None:
            return
        stored = services.quiz_questions(quiz)
        choices = [form.instance for form in self.forms
                   if getattr(form, "cleaned_data", None)
                   and not form.cleaned_data.get("DELETE")]
        choices.sort(key=lambda choice: (choice.position, choice.pk or 10**9))
        key = question.key if question.pk else "new"
        node = dataclasses.replace(services.question_node(question, choices), key=key)
        nodes = [(q.position, q.pk, services.question_node(q)) for q in stored
                 if q.pk != question.pk]
        nodes.append((question.position, question.pk or 10**9, node))
        problems = _problems_added(stored, nodes, touched={key})
        if problems:
            raise forms.ValidationError([problem.message for problem in problems])


class ChoiceInline(TranslationStackedInline):
    model = Choice
    fk_name = "question"
    form = ChoiceForm
    formset = ChoiceInlineFormSet
    extra = 0
    show_change_link = True
    fieldsets = [
        (None, {"fields": [("position", "label", "value"), ("image", "image_preview"),
                           ("excluded_tags", "required_tags"), ("next", "next_question"),
                           "weight_summary"]}),
    ]
    readonly_fields = ["weight_summary", "image_preview"]

    @admin.display(description=gettext_lazy("image"))
    def image_preview(self, choice):
        return image_preview(choice.image)
    verbose_name_plural = gettext_lazy("choices (weights toward products: open a choice; "
                                       "toward tags: the quiz's mapping grid)")

    def get_formset(self, request, obj=None, **kwargs):
        self._question = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "next_question":
            question = getattr(self, "_question", None)
            return next_question_field(db_field, question.quiz_id if question else None,
                                       **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("weights__product")

    @admin.display(description=gettext_lazy("weights"))
    def weight_summary(self, choice):
        if not choice.pk:
            return "—"
        return ", ".join(f"{w.tag or w.product.sku} {w.weight:+d}"
                         for w in choice.weights.all()) or "—"


@admin.register(Question)
class QuestionAdmin(TranslatedAdmin):
    list_display = ["text", "quiz", "position", "kind", "attribute", "required"]
    list_filter = ["kind", "quiz"]
    search_fields = ["text", "attribute", "quiz__title"]
    list_select_related = ["quiz"]
    fields = ["quiz", "position", "text", "help_text", "kind", "required", "attribute",
              "max_choices", "next", "next_question"]
    inlines = [ChoiceInline]

    def get_readonly_fields(self, request, obj=None):
        return ["quiz"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "next_question":
            match = request.resolver_match
            question = Question.objects.filter(pk=match.kwargs.get("object_id")).first() \
                if match else None
            return next_question_field(db_field, question.quiz_id if question else None,
                                       exclude=question.pk if question else None, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return False  # reached from its quiz

    def response_change(self, request, obj):
        if "_continue" not in request.POST and "_addanother" not in request.POST:
            return HttpResponseRedirect(reverse("admin:quizzes_quiz_change", args=[obj.quiz_id]))
        return super().response_change(request, obj)


class ChoiceWeightInline(admin.TabularInline):
    model = ChoiceWeight
    fields = ["tag", "product", "weight"]
    autocomplete_fields = ["product"]
    extra = 1
    verbose_name_plural = gettext_lazy("weights: toward a tag or one product; positive for, "
                                       "negative against")


@admin.register(Choice)
class ChoiceAdmin(NoAdd, TranslatedAdmin):
    # Choices are added on their question's page.
    form = ChoiceForm
    list_display = ["label", "question", "value"]
    search_fields = ["label", "value", "question__text"]
    list_select_related = ["question"]
    inlines = [ChoiceWeightInline]
    fields = ["question", "label", "value", "image", "excluded_tags", "required_tags", "next",
              "next_question"]
    # Values and branches are checked with the whole question: edit them on its page.
    readonly_fields = ["question", "value", "next", "next_question"]

    def has_module_permission(self, request):
        return False

    def response_change(self, request, obj):
        if "_continue" not in request.POST:
            return HttpResponseRedirect(reverse("admin:quizzes_question_change",
                                                args=[obj.question_id]))
        return super().response_change(request, obj)

