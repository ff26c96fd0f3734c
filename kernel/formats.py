"""Numbers, money and dates as each offered language writes them (Django's localisation falls
short for currencies and calendars): Babel's CLDR data for money and numbers, the Solar Hijri
calendar (jdatetime) for Persian dates on pages and e-mails. The API stays ISO and Gregorian.
"""

import datetime as dt
import functools
from decimal import Decimal

import jdatetime
from babel import Locale
from babel.numbers import format_currency, format_decimal
from django.utils import formats, timezone, translation

# The CLDR locale each offered language writes numbers in; Persian and Chinese with their own
# digits and separators as Iranian and Taiwanese shops print them.
CLDR_LOCALES = {"en": "en", "tr": "tr_TR", "fa": "fa_IR", "zh-hant": "zh_Hant_TW"}
PERSIAN_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان",
                  "آذر", "دی", "بهمن", "اسفند")
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _cldr(language: str | None = None) -> str:
    return CLDR_LOCALES.get(language or translation.get_language() or "en", "en")


def digits(text: str, *, language: str | None = None) -> str:
    """The text with its digits as the language writes them: Persian digits in Persian (a
    translated sentence around a count, say), the same text elsewhere."""
    if (language or translation.get_language()) == "fa":
        return text.translate(PERSIAN_DIGITS)
    return text


def number_format(value, *, language: str | None = None) -> str:
    """1,234 / 1.234 / Persian digits and separators, in the page's language."""
    return digits(format_decimal(value, locale=_cldr(language), numbering_system="default"),
                  language=language)


def money_format(amount, currency: str, *, language: str | None = None) -> str:
    """€40 or €40.50 in English, 40,50 € ... as each language places the symbol; whole
    amounts without cents."""
    amount = Decimal(amount)
    locale = Locale.parse(_cldr(language))
    pattern = locale.currency_formats["standard"].pattern
    if amount == amount.to_integral_value():
        pattern = pattern.replace(".00", "")
    return digits(format_currency(amount, currency, format=pattern, locale=locale,
                                  currency_digits=False, numbering_system="default"),
                  language=language)


def date_format(value, *, language: str | None = None, with_year: bool = True) -> str:
    """A date as a shopper reads it: "31 December 2026", "2026年12月31日", and in Persian the
    Solar Hijri date (10 Dey 1405, with Persian month names and digits)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return _date_text(value, language or translation.get_language() or "en", with_year)


@functools.lru_cache(maxsize=4096)
def _date_text(value: dt.date, language: str, with_year: bool) -> str:
    """A day's words never change: each is worked out once (a batch of e-mails, a page's
    rows, mostly name the same few days)."""
    if language == "fa":
        day = jdatetime.date.fromgregorian(date=value)
        text = f"{day.day} {PERSIAN_MONTHS[day.month - 1]}" + (f" {day.year}" if with_year else "")
        return text.translate(PERSIAN_DIGITS)
    with translation.override(language):
        if not with_year:
            return formats.date_format(value, "j F" if language == "en" else "MONTH_DAY_FORMAT")
        return formats.date_format(value, "DATE_FORMAT")


def datetime_format(value, *, language: str | None = None) -> str:
    """A moment as a shopper reads it (the shop's time zone): the date, then the time."""
    if value is None:
        return ""
    language = language or translation.get_language() or "en"
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if language == "fa":
        return f"{date_format(local, language=language)}، {local:%H:%M}".translate(PERSIAN_DIGITS)
    with translation.override(language):
        return formats.date_format(local, "DATETIME_FORMAT")
