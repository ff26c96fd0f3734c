"""Staff admin for quiz responses: what shoppers answered, read-only (responses change only by
taking a quiz)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from kernel.admin import NoAdd, NoChange, ReadOnlyInline
from quizzes.models import QuizAnswer, QuizResponse


class QuizAnswerInline(ReadOnlyInline):
    model = QuizAnswer
    fields = ["question_key", "choice_keys", "value", "answered_at"]
    readonly_fields = fields


@admin.register(QuizResponse)
class QuizResponseAdmin(NoAdd, NoChange, admin.ModelAdmin):
    list_display = ["__str__", "customer", "email", "status", "channel", "started_at",
                    "completed_at", "added_to_profile"]
    list_filter = ["status", "channel", "consent_given", "version__quiz"]
    search_fields = ["email", "customer__email", "version__quiz__slug"]
    list_select_related = ["version__quiz", "customer"]
    date_hierarchy = "started_at"
    inlines = [QuizAnswerInline]
    readonly_fields = ["version", "customer", "email", "consent_given", "channel", "status",
                       "current_question", "recommended_skus", "recommendations", "started_at",
                       "completed_at", "synced_at"]
    fields = readonly_fields

    @admin.display(boolean=True, description=gettext_lazy("on profile"))
    def added_to_profile(self, obj):
        return obj.synced_at is not None
