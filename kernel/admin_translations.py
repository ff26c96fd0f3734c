"""The admin of the shop's own words per language (django-modeltranslation): one field per
offered language, one under the other, each labelled with its language's name, typed in its
own direction, and saying what a blank translation shows. Nothing loads from another origin
(the CSP allows none), so modeltranslation's tabs, which need jQuery UI from a CDN, are not
used."""

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from modeltranslation.admin import TranslationAdmin
from modeltranslation.fields import TranslationField


def blank_translation_help(code: str) -> str:
    """What a blank translation in language `code` shows: the text in the first fallback
    language (the shop's default language, else English) that is not `code` itself."""
    fallback = next(language for language in settings.MODELTRANSLATION_FALLBACK_LANGUAGES
                    if language != code)
    return _("Blank: shoppers reading this language see the %(language)s text.") % {
        "language": dict(settings.LANGUAGES)[fallback]}


class TranslatedAdmin(TranslationAdmin):
    """A ModelAdmin whose translated fields come once per language: the default language's
    first (required where the field is), then the others, which may stay blank."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is None or not isinstance(db_field, TranslationField):
            return field
        code = db_field.language.replace("_", "-")
        field.label = format_lazy("{} · {}", db_field.translated_field.verbose_name,
                                  dict(settings.LANGUAGES).get(code, code))
        field.widget.attrs.update(lang=code,
                                  dir="rtl" if get_language_info(code)["bidi"] else "ltr")
        if db_field.language != settings.MODELTRANSLATION_DEFAULT_LANGUAGE:  # may be blank
            field.help_text = blank_translation_help(code)
        return field

    def get_search_fields(self, request):
        """A search looks in every language's text, not only in the admin's language."""
        fields = []
        for name in super().get_search_fields(request):
            field = name.lstrip("^=@")
            prefix = name[:len(name) - len(field)]
            if field in self.trans_opts.all_fields:
                fields += sorted(prefix + translated.name
                                 for translated in self.trans_opts.all_fields[field])
            else:
                fields.append(name)
        return fields
