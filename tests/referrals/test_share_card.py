"""The share card in the shopper's language: Persian letters joined and right to left,
Traditional Chinese in a font that has its characters, never empty boxes. The fa and zh-Hant
cards are kept in /tmp/flywheel-share-cards/ to look at."""

import io
import os
import shutil
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from django.core.checks import run_checks
from django.test import override_settings
from PIL import Image, ImageDraw, ImageFont

from kernel import lettering
from referrals.models import ReferralCode
from tests.customers.test_views import shopper
from tests.factories import ReferralProgramFactory, RewardFactory

pytestmark = pytest.mark.django_db

CARDS = Path(tempfile.gettempdir()) / "flywheel-share-cards"
CJK = lettering.Face.parse(lettering.DEFAULT_FONTS[1])
needs_cjk_font = pytest.mark.skipif(
    not lettering.coverage(CJK) and not os.environ.get("CI"),
    reason="needs Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk; .ci/run does)")
needs_raqm = pytest.mark.skipif(
    not lettering.can_shape() and not os.environ.get("CI"),
    reason="Pillow finds no libraqm: it needs the system's FriBiDi (apt-get install libfribidi0; "
           ".ci/run does)")


def program(reward_name):
    reward = RewardFactory(name=reward_name, kind="percent_off", amount=None, currency="",
                           percent=10, cost=1000)
    return ReferralProgramFactory(friend_reward=reward)


class Drawn:
    """Every text the card draws, with the font and layout options it was drawn with."""

    def __init__(self):
        self.lines = []
        real = ImageDraw.ImageDraw.text

        def text(draw, xy, text, fill=None, font=None, anchor=None, **options):
            self.lines.append((text, font, options))
            return real(draw, xy, text, fill, font, anchor, **options)

        self.patch = mock.patch.object(ImageDraw.ImageDraw, "text", text)

    def __enter__(self):
        self.patch.start()
        return self

    def __exit__(self, *exc):
        self.patch.stop()

    def line(self, containing):
        return next(line for line in self.lines if containing in line[0])


def card(client, language, **options):
    """What the signed-in shopper's card, as the page serves it, drew."""
    with Drawn() as drawn:
        response = client.get("/account/referral/card.png", **options)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (1080, 1080)
    CARDS.mkdir(exist_ok=True)
    (CARDS / f"{language}.png").write_bytes(response.content)
    return drawn


def glyph(font, character, options):
    """How one character looks in `font`: an empty box looks the same for every character."""
    canvas = Image.new("L", (300, 300))
    ImageDraw.Draw(canvas).text((150, 150), character, font=font, fill=255, anchor="mm",
                                **options)
    return canvas.tobytes()


def assert_every_letter_drawn(text, font, options):
    """The font has every letter of `text`, and no two letters look alike (tofu boxes do)."""
    assert lettering.missing(text, lettering.Face(font.path, font.index)) == ""
    letters = sorted({ch for ch in text if ch.isalpha()})
    looks = {glyph(font, letter, options) for letter in letters}
    assert len(looks) == len(letters)


@needs_raqm
def test_a_persian_shopper_s_card_is_persian_joined_and_right_to_left(client):
    program("۱۰٪ تخفیف")
    shopper(client, language="fa")

    drawn = card(client, "fa")

    offer, font, options = drawn.line("بگیر")
    assert offer == "با کد من ۱۰٪ تخفیف بگیر"
    assert options["direction"] == "rtl" and options["language"] == "fa"
    assert font.layout_engine == ImageFont.Layout.RAQM
    assert_every_letter_drawn(offer, font, options)
    # Joined: the word بگیر is narrower than its four letters set side by side.
    word = font.getlength("بگیر", **options)
    assert word < 0.8 * sum(font.getlength(letter, **options) for letter in "بگیر")
    # Right to left: the sentence ends, on the right, with its first word, با.
    width = int(font.getlength("با", **options))
    assert right_end(offer, font, options, width) == right_end("با", font, options, width)
    assert right_end(offer, font, options, width) != right_end("بگیر", font, options, width)


def right_end(text, font, options, width):
    """The rightmost `width` columns of `text` drawn ending at the same point."""
    canvas = Image.new("L", (1200, 120))
    ImageDraw.Draw(canvas).text((1100, 60), text, font=font, fill=255, anchor="rm", **options)
    return canvas.crop((1100 - width, 0, 1100, 120)).tobytes()


@needs_raqm
def test_english_words_inside_a_persian_card_keep_their_own_order(client):
    program("Free shipping")
    shopper(client, language="fa")

    drawn = card(client, "fa-mixed")

    offer, font, options = drawn.line("بگیر")
    assert offer == "با کد من Free shipping بگیر"
    assert options["direction"] == "rtl"
    assert_every_letter_drawn(offer, font, options)


@needs_raqm
@needs_cjk_font
def test_a_traditional_chinese_shopper_s_card_has_every_character(client):
    program("九折優惠")
    shopper(client, language="zh-hant")

    drawn = card(client, "zh-hant")

    offer, font, options = drawn.line("代碼")
    assert offer == "用我的代碼享 九折優惠"
    assert options["language"] == "zh-Hant"
    assert_every_letter_drawn(offer, font, options)
    code, code_font, code_options = drawn.lines[2]
    assert code == ReferralCode.objects.get().code
    assert_every_letter_drawn(code, code_font, code_options)


@needs_cjk_font
def test_the_shop_s_name_in_chinese_is_drawn_on_an_english_card(client):
    program("10% off")
    shopper(client)

    with override_settings(SITE_NAME="晨光美妝"):
        drawn = card(client, "en-chinese-shop")

    name, font, options = drawn.lines[0]
    assert name == "晨光美妝"
    assert_every_letter_drawn(name, font, options)
    assert drawn.line("with my code")[0] == "Get 10% off with my code"


def test_a_letter_no_font_has_is_drawn_as_a_box_not_an_error(client, caplog):
    program("10% off")
    shopper(client)

    with override_settings(SITE_NAME="Shop \U00013000"):  # an Egyptian hieroglyph
        drawn = card(client, "en-missing")

    assert drawn.lines[0][0] == "Shop \U00013000"
    assert "No font has \U00013000" in caplog.text


def test_without_libraqm_a_persian_shopper_gets_an_english_card(client, caplog):
    program("10% off")
    shopper(client, language="fa")

    with mock.patch.object(lettering, "can_shape", return_value=False):
        drawn = card(client, "fa-no-raqm")

    assert drawn.line("with my code")[0] == "Get 10% off with my code"
    assert all("direction" not in options for _text, _font, options in drawn.lines)
    assert "drawn in English" in caplog.text


def test_the_card_is_drawn_again_in_another_language_and_with_a_new_font(client, tmp_path):
    program("10% off")
    customer = shopper(client)
    card(client, "en")
    customer.language = "tr"
    customer.save()

    turkish = card(client, "tr")
    again = card(client, "tr")
    shutil.copy(lettering.BUNDLED / "Vazirmatn-Regular.ttf", tmp_path / "Brand.ttf")
    with override_settings(SHARE_CARD_FONTS=[str(tmp_path / "Brand.ttf")]):
        branded = card(client, "tr-branded")

    assert turkish.line("Kodumla")[0] == "Kodumla 10% off kazan"
    assert again.lines == []  # kept on the code's row
    assert Path(branded.lines[0][1].path).name == "Brand.ttf"


def test_check_deploy_warns_when_a_language_has_no_font_or_no_shaping():
    only_vazirmatn = mock.patch.object(lettering, "DEFAULT_FONTS", lettering.DEFAULT_FONTS[:1])
    no_raqm = mock.patch.object(lettering, "can_shape", return_value=False)
    with only_vazirmatn, no_raqm, override_settings(SHARE_CARD_FONTS=["/no/such/font.ttf"]):
        warnings = {w.id: w.msg for w in run_checks(include_deployment_checks=True)
                    if w.id.startswith("referrals.")}

    assert "zh-hant" in warnings["referrals.W001"]
    assert "fa" in warnings["referrals.W002"]
    assert "/no/such/font.ttf" in warnings["referrals.W003"]


@needs_raqm
@needs_cjk_font
def test_check_deploy_is_quiet_when_every_language_can_be_drawn():
    warnings = [w.id for w in run_checks(include_deployment_checks=True)
                if w.id.startswith("referrals.")]
    assert warnings == []
