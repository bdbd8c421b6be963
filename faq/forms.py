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
