from django import forms
from django.utils.translation import gettext_lazy as _


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Agent code, ticket reference, website, account, phone number or email"),
        max_length=200,
        help_text=_(
            "For example WS-1024, WS-7K3M9QXD, a link, @name, t.me/name, a phone number or an "
            "email address."
        ),
    )
    agent_name = forms.CharField(
        label=_("The agent's name (for an agent code)"),
        max_length=60,
        required=False,
        help_text=_("The name they gave you. We never show the name behind a code."),
    )
