"""The referral side's own words per language (django-modeltranslation): the NPS survey's
questions, which staff write and shoppers read in the invitation e-mail and on the survey
pages. The referral program itself has no text of its own (its offers are rewards, translated
with them)."""

from modeltranslation.translator import TranslationOptions, register

from .models import NpsSurvey


@register(NpsSurvey)
class NpsSurveyTranslation(TranslationOptions):
    fields = ("question", "promoter_question", "passive_question", "detractor_question")
    # Only a blank question is missing. (Without this, modeltranslation takes a question equal
    # to its translated default, in the language being read, for missing, and falls back.)
    fallback_undefined = dict.fromkeys(fields, "")
