"""The loyalty program's own words per language (django-modeltranslation): what staff write
and shoppers read. Each field gets a column per offered language (`name_en`, `name_tr`...);
reading `tier.name` gives the active language's text, or the default language's when that
translation is blank."""

from modeltranslation.translator import TranslationOptions, register

from .models import EarningRule, Reward, Tier


@register(Tier)
class TierTranslation(TranslationOptions):
    fields = ("name", "perks")
    # A blank translation is NULL, not "": the name is unique per language, and many tiers
    # may have no Turkish name yet.
    empty_values = {"name": None}


@register(Reward)
class RewardTranslation(TranslationOptions):
    fields = ("name", "description")
    empty_values = {"name": None}


@register(EarningRule)
class EarningRuleTranslation(TranslationOptions):
    # The name is the shopper's wording of a rule ("Write a review") where Flywheel has none
    # of its own for the activity.
    fields = ("name",)
    empty_values = {"name": None}
