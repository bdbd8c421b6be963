"""The subscription form of the admin: the secret written, never shown; the URL checked."""

import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from webhooks.addresses import url_problem
from webhooks.events import EventType
from webhooks.models import Subscription

SECRET_MIN_LENGTH = 24

URL_PROBLEMS = {
    "scheme": _("Enter an http or https address with a host name."),
    "https": _("The address must start with https://."),
    "credentials": _("Put no user name or password in the address; the signature proves it is us."),
    "unresolved": _("This host name does not resolve."),
    "private": _(
        "This address points into a private, loopback or link-local network, which the desk "
        "never calls."
    ),
}


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )
    new_secret = forms.CharField(
        label=_("new signing secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least %(count)d characters, shared with the receiver. Leave empty to keep the "
            "current secret (a new subscription gets a random one: set your own to know it)."
        )
        % {"count": SECRET_MIN_LENGTH},
    )

    class Meta:
        model = Subscription
        fields = ("name", "url", "events", "include_text", "is_active")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        problem = url_problem(url)
        if problem:
            raise ValidationError(URL_PROBLEMS[problem], code=problem)
        return url

    def clean_new_secret(self) -> str:
        secret = self.cleaned_data["new_secret"]
        if secret and len(secret) < SECRET_MIN_LENGTH:
            raise ValidationError(
                _("Use at least %(count)d characters.") % {"count": SECRET_MIN_LENGTH},
                code="short",
            )
        if any(ord(char) < 33 or ord(char) == 127 for char in secret):
            raise ValidationError(_("Use no spaces or control characters."), code="invalid")
        return secret

    def save(self, commit: bool = True) -> Subscription:
        subscription = super().save(commit=False)
        if self.cleaned_data.get("new_secret"):
            subscription.secret = self.cleaned_data["new_secret"]
        elif not subscription.secret:
            subscription.secret = secrets.token_urlsafe(32)
        if commit:
            subscription.save()
        return subscription
