from django import forms
from django.utils.translation import gettext_lazy as _

from .models import COMMENT_MAX_LENGTH

SCORE_CHOICES = [(score, str(score)) for score in range(11)]


class FollowUpForm(forms.Form):
    """The follow-up page: the comment (the score came with the click)."""

    comment = forms.CharField(
        label=_("Your answer (optional)"), required=False, max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("At most %(max)s characters.") % {"max": COMMENT_MAX_LENGTH},
    )


class ScoreForm(FollowUpForm):
    """A score chosen on the page itself (a link without a score, or a click we didn't take as
    an answer because it looked like a mail scanner)."""

    score = forms.TypedChoiceField(
        label=_("Your score, from 0 (not at all likely) to 10 (extremely likely)"),
        choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect,
    )

    field_order = ["score", "comment"]
