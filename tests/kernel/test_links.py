"""Links in emails are absolute, built one way from SITE_URL."""

from kernel.links import absolute_url


def test_a_link_is_the_sites_address_and_the_named_path(settings):
    settings.SITE_URL = "https://loyalty.example.com"
    assert absolute_url("account") == "https://loyalty.example.com/account/"
    assert absolute_url("referral_landing", "ADA7") == "https://loyalty.example.com/r/ADA7/"


def test_a_trailing_slash_on_the_sites_address_is_not_doubled(settings):
    settings.SITE_URL = "https://shop.example.com/loyalty/"
    assert absolute_url("account") == "https://shop.example.com/loyalty/account/"
