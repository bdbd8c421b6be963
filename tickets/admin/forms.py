"""Forms of the agents' queue in the admin: the reply box, the bulk-action bar, the work fields."""

from django import forms
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from agents.models import Team
from guard.refusals import refuse_secrets
from tickets.models import Priority, Status, Ticket

REPLY_MAX_CHARACTERS = 10_000


def agent_choices():
    """Active staff users with an agent profile, by display name."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, agent_profile__isnull=False)
        .select_related("agent_profile")
        .order_by("agent_profile__display_name")
    )


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        profile = user.agent_profile
        return f"{profile.display_name} ({profile.agent_code})"


class AgentReplyForm(forms.Form):
    """A reply emailed to the customer, or an internal note; based on what the page showed."""

    body = forms.CharField(
        label=_("Reply"),
        max_length=REPLY_MAX_CHARACTERS,
        widget=forms.Textarea(attrs={"rows": 8, "class": "vLargeTextField"}),
        strip=False,
    )
    is_internal = forms.BooleanField(
        label=_("Internal note (the customer never sees it)"), required=False
    )
    canned = forms.TypedChoiceField(
        label=_("Canned reply"), required=False, coerce=int, empty_value=None
    )
    seen_up_to = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    # One per rendered page: the same form sent twice is stored and emailed once.
    client_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, canned_replies: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.canned_replies = canned_replies
        self.fields["canned"].choices = [("", "---------")] + [
            (index, text[:80]) for index, text in enumerate(canned_replies)
        ]

    def with_canned_text(self) -> "AgentReplyForm":
        """The same form with the chosen canned reply added to the draft (no JavaScript)."""
        data = self.data.copy()
        index = self.cleaned_data.get("canned") if self.is_valid() else None
        if index is None:
            try:
                index = int(data.get("canned", ""))
            except ValueError:
                return self
        if 0 <= index < len(self.canned_replies):
            draft = data.get("body", "").rstrip()
            data["body"] = (
                f"{draft}\n\n{self.canned_replies[index]}"
                if draft
                else (self.canned_replies[index])
            )
        data["canned"] = ""
        return AgentReplyForm(data, canned_replies=self.canned_replies)

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError(_("Write a message first."))
        return body

    def clean(self):
        cleaned = super().clean()
        # An agent pasting a customer's secret into a note would store it: refused the same way.
        for refusal in refuse_secrets({"body": cleaned.get("body", "")}):
            self.add_error("body", refusal.message)
        return cleaned


class QueueActionForm(ActionForm):
    """The list's action bar: the target of an assign, priority or status action."""

    agent = AgentChoiceField(queryset=agent_choices(), required=False, label=_("Agent"))
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, label=_("Team"))
    priority = forms.ChoiceField(
        choices=[("", "---------"), *Priority.choices], required=False, label=_("Priority")
    )
    status = forms.ChoiceField(
        choices=[("", "---------"), *Status.choices], required=False, label=_("Status")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agent_choices()


class TicketWorkForm(forms.ModelForm):
    """The fields an agent changes on the ticket page; each change goes through a service.

    `loaded_at` is the ticket's last activity when the page was drawn: if anyone has changed or
    written on the ticket since, the form is refused rather than undoing their change.
    """

    loaded_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Ticket
        fields = ("status", "priority", "team", "assignee")
        field_classes = {"assignee": AgentChoiceField}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "assignee" in self.fields:
            self.fields["assignee"].queryset = agent_choices()
        if self.instance.pk and "loaded_at" in self.fields:
            self.fields["loaded_at"].initial = self.instance.updated_at

    def clean(self):
        cleaned = super().clean()
        loaded_at = cleaned.get("loaded_at")
        if self.instance.pk and loaded_at is not None and loaded_at != self.instance.updated_at:
            raise forms.ValidationError(
                _(
                    "This ticket changed after you opened it (see its history and conversation). "
                    "Nothing was saved: check it and save again."
                ),
                code="stale",
            )
        return cleaned

    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        moving = self.instance.pk and status != self.instance.status
        if moving and not self.instance.can_move_to(status):
            raise forms.ValidationError(
                _("A ticket that is %(current)s cannot become %(new)s.")
                % {"current": self.instance.get_status_display(), "new": Status(status).label}
            )
        return status
