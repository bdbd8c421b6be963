import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from agents.models import AgentProfile
from guard.refusals import SecretRefusingForm
from tickets.models import ProblemType

# Names a visitor may not take: they would pass for the desk itself.
RESERVED_NAMES = re.compile(
    r"support|customer\s*service|help\s*desk|admin|official|staff|agent|客服|官方|管理员|工作人员",
    re.IGNORECASE,
)


class ChatStartForm(SecretRefusingForm, forms.Form):
    secret_fields = ("message", "name")
    name = forms.CharField(label=_("Your name"), max_length=60)
    email = forms.EmailField(label=_("Email"), max_length=254)
    problem_type = forms.ChoiceField(label=_("What is it about?"), choices=ProblemType.choices)
    message = forms.CharField(
        label=_("Your first message"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: “My withdrawal to a bank card has been pending since 9:00.”"),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        agent_names = {
            display.lower()
            for display in AgentProfile.objects.values_list("display_name", flat=True)
        }
        if RESERVED_NAMES.search(name) or name.lower() in agent_names:
            raise ValidationError(
                _("Please use your own name: names that look like our staff are reserved."),
                code="reserved_name",
            )
        return name


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Agent code or ticket reference"),
        max_length=20,
        help_text=_("For example WS-1024 (an agent) or WS-7K3M9QXD (a ticket)."),
    )


class ChatRatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        coerce=int, choices=[(number, str(number)) for number in range(1, 6)]
    )
