"""Money, numbers and dates as each offered language writes them (kernel.formats)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kernel.formats import date_format, datetime_format, money_format, number_format


@pytest.mark.parametrize(("language", "spend", "whole"), [
    ("en", "€13.60", "€40"),
    ("tr", "€13,60", "€40"),
    ("fa", "\u200e€\u00a0۱۳٫۶۰", "\u200e€\u00a0۴۰"),
    ("zh-hant", "€13.60", "€40"),
])
def test_money_is_written_with_the_language_s_separators_and_symbol_place(language, spend,
                                                                         whole):
    assert money_format(Decimal("13.60"), "EUR", language=language) == spend
    assert money_format(Decimal("40.00"), "EUR", language=language) == whole


def test_a_turkish_shop_s_lira_reads_as_turks_write_it():
    assert money_format(Decimal("1200.50"), "TRY", language="tr") == "₺1.200,50"


def test_persian_numbers_use_persian_digits():
    assert number_format(12345, language="fa") == "۱۲٬۳۴۵"
    assert number_format(12345, language="tr") == "12.345"


def test_persian_pages_show_the_solar_hijri_date():
    new_year_eve = dt.date(2026, 12, 31)  # 10 Dey 1405 in the Iranian calendar

    assert date_format(new_year_eve, language="fa") == "۱۰ دی ۱۴۰۵"
    assert date_format(dt.date(2026, 3, 21), language="fa") == "۱ فروردین ۱۴۰۵"  # Nowruz
    assert date_format(new_year_eve, language="fa", with_year=False) == "۱۰ دی"


@pytest.mark.parametrize(("language", "text"), [
    ("en", "Dec. 31, 2026"),
    ("tr", "31 Aralık 2026"),
    ("zh-hant", "2026年12月31日"),
])
def test_other_languages_keep_the_gregorian_date_in_their_own_words(language, text):
    assert date_format(dt.date(2026, 12, 31), language=language) == text


def test_a_moment_on_a_persian_page_is_a_solar_hijri_date_and_a_time():
    moment = dt.datetime(2026, 12, 31, 14, 5, tzinfo=dt.UTC)

    assert datetime_format(moment, language="fa") == "۱۰ دی ۱۴۰۵، ۱۴:۰۵"


@pytest.mark.parametrize(("language", "sentence"), [
    ("en", "You need 120 more points for this reward."),
    ("fa", "برای این جایزه ۱۲۰ امتیاز دیگر لازم دارید."),
])
def test_a_translated_sentence_around_a_count_takes_the_language_s_digits(language, sentence):
    """{% filter digits %} around a blocktranslate whose count must stay a number for the
    plural; what the sentence holds stays escaped."""
    from django.template import Context, Template
    from django.utils import translation

    template = Template(
        "{% load i18n flywheel_formats %}{% filter digits %}{% blocktranslate count missing=n %}"
        "You need {{ missing }} more point for this reward.{% plural %}You need {{ missing }} "
        "more points for this reward.{% endblocktranslate %}{% endfilter %}"
        "{% filter digits %}{{ text }}{% endfilter %}")
    with translation.override(language):
        html = template.render(Context({"n": 120, "text": "<b>1</b>"}))

    assert html.startswith(sentence)
    assert html.endswith("&lt;b&gt;" + ("۱" if language == "fa" else "1") + "&lt;/b&gt;")


def test_a_moment_is_dated_by_the_shop_s_clock_each_time_it_is_dated():
    """A day's words are kept once worked out; which day a moment falls on is not."""
    moment = dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC)

    with timezone.override("UTC"):
        assert date_format(moment, language="en") == "Dec. 31, 2026"
    with timezone.override("Europe/Istanbul"):  # 01:30 on New Year's Day
        assert date_format(moment, language="en") == "Jan. 1, 2027"
        assert date_format(moment, language="fa") == "۱۱ دی ۱۴۰۵"
