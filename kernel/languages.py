"""The languages Flywheel speaks (settings.LANGUAGES) and how a locale a platform or a browser
sends maps onto one of them."""

from django.conf import settings
from django.utils.translation import get_supported_language_variant

SIMPLIFIED_CHINESE = ("zh-hans", "zh-cn", "zh-sg", "zh-my")


def language_from_locale(locale: str | None) -> str:
    """The offered language a locale names ("tr-TR" -> "tr", "zh_TW" or "zh-Hant-HK" ->
    "zh-hant", "fa" -> "fa"), or "" when none is offered for it ("fr-FR", "", garbage)."""
    code = (locale or "").strip().replace("_", "-").lower()
    if not code or len(code) > 32 or code.startswith(SIMPLIFIED_CHINESE):
        return ""  # Simplified Chinese readers are not served Traditional characters
    try:
        return get_supported_language_variant(code)
    except LookupError:
        return ""


def language_offered(code: str | None) -> bool:
    return (code or "") in dict(settings.LANGUAGES)
