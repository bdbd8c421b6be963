from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import ChoicesNotEchoed
from guard.refusals import SecretRefusingForm

MAX_QUERY_CHARACTERS = 500


class SearchForm(SecretRefusingForm, forms.Form):
    """A search of the help centre. A recovery phrase, key or card number typed in it is refused
    with the guard's warning, and never searched for or shown again."""

    q = forms.CharField(
        label=_("Search the help centre"),
        max_length=MAX_QUERY_CHARACTERS,
        strip=True,
        error_messages={
            "required": _("Type a few words to search for, for example “withdrawal” or “提现”."),
            "max_length": _(
                "That search is too long: use at most %(limit_value)d characters, "
                "a few key words work best."
            ),
        },
    )


class VoteForm(ChoicesNotEchoed, forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        error_messages={
            "required": _("Choose yes or no."),
            "invalid_choice": _("Choose yes or no."),
        },
    )


class MissingForm(SecretRefusingForm, forms.Form):
    """Asked after a "No" on "Was this helpful?": what the article did not answer."""

    missing = forms.CharField(
        label=_("What was missing?"),
        help_text=_("Optional. Please do not include personal details."),
        max_length=1000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Write a few words about what you were looking for."),
            "max_length": _("Please keep it under %(limit_value)d characters."),
        },
    )
