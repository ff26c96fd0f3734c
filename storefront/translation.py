"""The storefront's own words per language (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from .models import PublishableKey


@register(PublishableKey)
class PublishableKeyTranslation(TranslationOptions):
    fields = ("launcher_text",)
    empty_values = {"launcher_text": None}  # blank: "Rewards" in the shopper's language
