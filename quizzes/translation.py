"""The quiz texts staff enter per language (django-modeltranslation): a column per offered
language beside each original (`title_en`, `title_tr`, ...). The English column is the source
and stays required where the original is; a blank translation falls back per text (see
MODELTRANSLATION_FALLBACK_LANGUAGES). Publishing freezes every language's texts into the
version's definition (quizzes/definition.py), which is what shoppers read.

Products are not registered: the catalog mirrors the shop's own (imported by SKU from its
platform, which keeps the product names), so a product's name is shown as the shop sends it."""

from modeltranslation.translator import TranslationOptions, register

from quizzes.models import Choice, Question, Quiz


@register(Quiz)
class QuizTranslation(TranslationOptions):
    fields = ("title", "intro", "results_heading", "results_text")
    required_languages = {"en": ("title",)}


@register(Question)
class QuestionTranslation(TranslationOptions):
    fields = ("text", "help_text")
    required_languages = {"en": ("text",)}


@register(Choice)
class ChoiceTranslation(TranslationOptions):
    fields = ("label",)
    required_languages = {"en": ("label",)}
