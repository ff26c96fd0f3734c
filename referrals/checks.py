"""System checks (`check --deploy`) for what the share card needs on this machine: a font with
every letter of each offered language, and libraqm to join Persian letters right to left."""

from django.conf import settings
from django.core.checks import Warning, register
from django.utils import translation
from django.utils.translation import gettext as _

from kernel import lettering


def card_sample() -> str:
    """The card's own words in the active language (the offer's wording without the reward)."""
    return " ".join([_("Join me with my code"), _("Get %(offer)s with my code") % {"offer": ""}])


@register(deploy=True)
def share_card_fonts(app_configs, **kwargs):
    """Each offered language's share card can be drawn: some font has all its letters, and a
    right-to-left language can be shaped."""
    warnings = []
    for entry in settings.SHARE_CARD_FONTS:
        face = lettering.Face.parse(entry)
        if not lettering.coverage(face):
            warnings.append(Warning(
                f"SHARE_CARD_FONTS names {face}, which cannot be read as a font.",
                hint="Give the path of a .ttf, .otf or .ttc file (a face of a .ttc as "
                     "path.ttc#index); the share card skips it meanwhile.",
                id="referrals.W003"))
    unlettered, unshaped = [], []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            sample, bidi = card_sample(), translation.get_language_bidi()
        face = lettering.face_for(sample)
        if lettering.missing(sample, face):
            unlettered.append(code)
        if bidi and not lettering.can_shape():
            unshaped.append(code)
    if unlettered:
        warnings.append(Warning(
            f"No share card font has every letter of {', '.join(unlettered)}: its shoppers' "
            "cards would show empty boxes.",
            hint="Install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk) or name a "
                 "font file with those letters in SHARE_CARD_FONTS (README, Production).",
            id="referrals.W001"))
    if unshaped:
        warnings.append(Warning(
            f"Pillow has no libraqm, so {', '.join(unshaped)} share cards are drawn in English "
            "(letters cannot be joined right to left).",
            hint="apt-get install libfribidi0 (Pillow's wheels bundle libraqm but load FriBiDi "
                 "from the system); `python -c \"from PIL import features; "
                 "print(features.check('raqm'))\"` says True when it works.",
            id="referrals.W002"))
    return warnings
