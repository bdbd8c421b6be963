import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from agents.models import AgentProfile
from common.forms import ChoicesNotEchoed
from guard.refusals import SecretRefusingForm
from tickets.models import ProblemType
from tickets.services import NewAttachment
from tickets.validators import MAX_ATTACHMENT_BYTES, check_attachment

# Names a visitor may not take: they would pass for the desk itself.
RESERVED_NAMES = re.compile(
    r"support|customer\s*service|help\s*desk|admin|official|staff|agent|客服|官方|管理员|工作人员",
    re.IGNORECASE,
)


class ChatStartForm(ChoicesNotEchoed, SecretRefusingForm, forms.Form):
    # Every box a visitor types in: a phrase pasted into the email box is refused and blanked
    # like one in the message, never sent back in the page.
    secret_fields = ("message", "name", "email")
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


class ChatRatingForm(ChoicesNotEchoed, forms.Form):
    rating = forms.TypedChoiceField(
        coerce=int, choices=[(number, str(number)) for number in range(1, 6)]
    )


SCREENSHOT_TYPES = frozenset({"image/png", "image/jpeg"})


class ChatAttachmentForm(forms.Form):
    """A screenshot for the chat: PNG or JPEG, sniffed and verified like the contact form's
    attachments (tickets.validators), whatever its name or the browser's content type says."""

    screenshot = forms.FileField(
        label=_("Screenshot"),
        help_text=format_lazy(
            _("A PNG or JPEG image of up to {max_mb} MB."),
            max_mb=MAX_ATTACHMENT_BYTES // (1024 * 1024),
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def clean_screenshot(self) -> NewAttachment:
        upload = self.cleaned_data["screenshot"]
        checked = check_attachment(upload)
        if checked.content_type not in SCREENSHOT_TYPES:
            raise ValidationError(
                _("Only screenshots can be sent in the chat: attach a PNG or JPEG image."),
                code="unsupported_type",
            )
        return NewAttachment(upload, checked)
