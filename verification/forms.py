from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from guard.refusals import SecretRefusingForm
from tickets.services import NewAttachment
from tickets.validators import check_attachment


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Agent code, ticket reference, website, account, phone number or email"),
        max_length=200,
        help_text=_(
            "For example WS-7K3M9QXD4P, WS-7K3M9QXD, a link, @name, t.me/name, a phone number "
            "or an email address."
        ),
    )
    agent_name = forms.CharField(
        label=_("The agent's name (for an agent code)"),
        max_length=60,
        required=False,
        help_text=_("The name they gave you. We never show the name behind a code."),
    )


class FakeReportForm(SecretRefusingForm, forms.Form):
    secret_fields = ("contact", "details", "email")
    contact = forms.CharField(
        label=_("What did you see?"),
        max_length=200,
        help_text=_("The account, link, phone number or email address that claimed to be us."),
    )
    where_seen = forms.ChoiceField(
        label=_("Where?"),
        required=False,
        choices=[
            ("", _("Choose…")),
            ("telegram", "Telegram"),
            ("x", "X (Twitter)"),
            ("wechat", _("WeChat")),
            ("weibo", _("Weibo")),
            ("discord", "Discord"),
            ("website", _("A website")),
            ("phone", _("A phone call or text message")),
            ("email", _("An email")),
            ("other", _("Somewhere else")),
        ],
    )
    details = forms.CharField(
        label=_("What happened?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Never type your recovery phrase, private key or password here."),
    )
    email = forms.EmailField(label=_("Your email, for our answer"), max_length=254)
    screenshot = forms.FileField(
        label=_("Screenshot"),
        required=False,
        help_text=_("A PNG or JPEG image, if you have one."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )

    def clean_screenshot(self) -> NewAttachment | None:
        upload = self.cleaned_data.get("screenshot")
        if not upload:
            return None
        checked = check_attachment(upload)
        if checked.content_type not in {"image/png", "image/jpeg"}:
            raise ValidationError(
                _("Attach a screenshot as a PNG or JPEG image."), code="unsupported_type"
            )
        return NewAttachment(upload, checked)
