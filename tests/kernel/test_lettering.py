"""Which font draws a text: the characters each font file has (read from its cmap), the order
fonts are tried in, and drawing that never fails on a letter no font has."""

import shutil
from unittest import mock

import pytest
from django.test import override_settings
from PIL import Image, ImageDraw

from kernel import lettering
from kernel.lettering import Face

VAZIRMATN = Face(str(lettering.BUNDLED / "Vazirmatn-Regular.ttf"))
CJK = Face.parse(lettering.DEFAULT_FONTS[1])
needs_cjk_font = pytest.mark.skipif(not lettering.coverage(CJK),
                                    reason="needs Debian's fonts-noto-cjk")

PERSIAN_ALPHABET = "آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
TURKISH = "ÇçĞğİıÖöŞşÜü"


def test_the_bundled_font_has_every_persian_and_turkish_letter_and_persian_digits():
    for text in (PERSIAN_ALPHABET, TURKISH, "۰۱۲۳۴۵۶۷۸۹٪،؛", "Get 10% off with my code"):
        assert lettering.missing(text, VAZIRMATN) == ""
    assert lettering.missing("代碼", VAZIRMATN) == "代碼"


def test_spaces_and_joiners_need_no_glyph():
    assert lettering.missing("می\u200cخواهم \u200f", VAZIRMATN) == ""


@needs_cjk_font
def test_a_face_of_a_collection_is_read_by_its_index():
    assert Face.parse("/fonts/x.ttc#3") == Face("/fonts/x.ttc", 3)
    assert lettering.missing("用我的代碼享九折優惠", CJK) == ""
    assert lettering.coverage(Face(CJK.path, 99)) == frozenset()


def test_missing_or_broken_font_files_are_skipped(tmp_path, caplog):
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"\x00\x01\x00\x00 not a font")

    with override_settings(SHARE_CARD_FONTS=[str(broken), str(tmp_path / "none.ttf")]):
        assert lettering.faces()[0] == VAZIRMATN

    assert "broken.ttf cannot be read" in caplog.text


def test_fonts_in_the_setting_come_before_the_bundled_one(tmp_path):
    brand = tmp_path / "Brand.ttf"
    shutil.copy(VAZIRMATN.path, brand)

    with override_settings(SHARE_CARD_FONTS=[str(brand)]):
        assert lettering.face_for("Ada's shop") == Face(str(brand))
        assert lettering.faces()[1] == VAZIRMATN


@needs_cjk_font
def test_each_text_gets_the_first_font_that_has_all_its_letters():
    assert lettering.face_for("با کد من ۱۰٪ تخفیف بگیر") == VAZIRMATN
    assert lettering.face_for("用我的代碼享 10% off") == CJK
    # Persian and Chinese in one line: no font has both; the one with most letters draws it.
    assert lettering.face_for("代 با کد") == VAZIRMATN


def test_without_any_font_pillow_s_own_draws_without_error():
    with mock.patch.object(lettering, "DEFAULT_FONTS", ()):
        face = lettering.face_for("با کد من")
        options = lettering.layout(face, language="fa", direction="rtl")
        font = lettering.font(face, 40)

    assert face is None and options == {}
    ImageDraw.Draw(Image.new("RGB", (400, 80))).text((0, 0), "با کد من", font=font, **options)


def test_language_codes_become_bcp47_tags():
    assert lettering.language_tag("zh-hant") == "zh-Hant"
    assert lettering.language_tag("fa") == "fa"
    assert lettering.language_tag("en-gb") == "en-gb"
