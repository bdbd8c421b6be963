"""The contact form, the customer's reply and rating forms.

The contact form asks for the facts each problem type needs: tickets.problem_types points each
type at its schema in tickets.evidence, and the form adds those fields to the ones every ticket
has.
"""

from datetime import date, datetime
from decimal import Decimal
from uuid import uuid4

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from common.forms import ChoicesNotEchoed, choices_not_echoed
from guard.refusals import SecretRefusingForm
from tickets.models import ProblemType
from tickets.problem_types import evidence_fields
from tickets.services import NewAttachment
from tickets.validators import (
    MAX_ATTACHMENTS,
    check_attachments,
    validate_description_length,
    validate_transaction_hash,
    validate_wallet_account_id,
)

ATTACHMENTS_HELP = format_lazy(
    _("Up to {count} PNG, JPEG or PDF files, 5 MB each."), count=MAX_ATTACHMENTS
)
DESCRIPTION_MAX_LENGTH = 10_000


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Up to MAX_ATTACHMENTS files in one input, checked by their content."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".png,.jpg,.jpeg,.pdf"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list[NewAttachment]:
        files = [upload for upload in (data or []) if upload]
        if not files:
            return []
        checked = check_attachments(files)
        return [NewAttachment(upload, info) for upload, info in zip(files, checked, strict=True)]


class ContactForm(ChoicesNotEchoed, SecretRefusingForm, forms.Form):
    """A ticket from the website: common fields, then the evidence of the chosen type."""

    secret_hash_fields = frozenset({"transaction_hash"})

    problem_type = forms.ChoiceField(choices=ProblemType.choices, widget=forms.HiddenInput)
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    email = forms.EmailField(label=_("Email"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    wallet_account_id = forms.CharField(
        label=_("Wallet account ID"),
        max_length=64,
        required=False,
        help_text=_("Shown under Me → Account. Never your password or recovery phrase."),
        validators=[validate_wallet_account_id],
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=[validate_description_length],
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Say what you did, what you expected and what happened instead. Good: “I cannot "
            "log in; it says the password is wrong.” Not enough: “My account has a problem.”"
        ),
    )
    attachments = MultipleFileField(
        label=_("Screenshots or documents"),
        help_text=ATTACHMENTS_HELP,
    )

    def __init__(self, *args, problem_type: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.chosen_type = problem_type
        self.fields["problem_type"].initial = problem_type
        self.fields["submission_key"].initial = uuid4()
        evidence = evidence_fields(problem_type)
        self.evidence_names = list(evidence)
        for name, field in evidence.items():
            self.fields[name] = field
        # The evidence's choices too: Django's message repeats the value sent.
        choices_not_echoed(self.fields)

    @property
    def problem_label(self) -> str:
        return ProblemType(self.chosen_type).label

    def clean_problem_type(self) -> str:
        if self.cleaned_data["problem_type"] != self.chosen_type:
            raise ValidationError(_("The problem type changed; check the form again."))
        return self.cleaned_data["problem_type"]

    def clean(self) -> dict:
        cleaned = super().clean()
        if "transaction_hash" in cleaned and "network" in cleaned:
            try:
                cleaned["transaction_hash"] = validate_transaction_hash(
                    cleaned["transaction_hash"], cleaned["network"]
                )
            except ValidationError as error:
                self.add_error("transaction_hash", error)
        return cleaned

    @property
    def evidence(self) -> dict[str, str]:
        """The structured facts, JSON-ready, in the order the form asked for them."""
        facts = {}
        for name in self.evidence_names:
            value = self.cleaned_data.get(name)
            if isinstance(value, datetime | date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = format(value.normalize(), "f")
            facts[name] = value
        return facts

    @property
    def evidence_field_list(self) -> list[forms.BoundField]:
        return [self[name] for name in self.evidence_names]


class ReplyForm(SecretRefusingForm, forms.Form):
    secret_fields = ("body",)
    body = forms.CharField(
        label=_("Your reply"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = MultipleFileField(
        label=_("Screenshots or documents"),
        help_text=ATTACHMENTS_HELP,
    )


class RatingForm(ChoicesNotEchoed, SecretRefusingForm, forms.Form):
    secret_fields = ("comment",)
    rating = forms.TypedChoiceField(
        label=_("How did we do?"),
        coerce=int,
        choices=[(number, str(number)) for number in range(1, 6)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NewLinkForm(forms.Form):
    """Ask for a fresh private link: reference and email must match, the answer never says."""

    reference = forms.CharField(label=_("Ticket reference"), max_length=16)
    email = forms.EmailField(label=_("Email"))


def evidence_display(
    problem_type: str, evidence: dict, *, omit: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """The evidence as (question, answer) pairs in the active language, as the form asked it;
    `omit` names facts the page shows elsewhere."""
    fields = evidence_fields(problem_type)
    rows = []
    for name, value in evidence.items():
        field = fields.get(name)
        if field is None or value in (None, "") or name in omit:
            continue
        choices = dict(getattr(field, "choices", []) or [])
        rows.append((str(field.label), str(choices.get(value, _readable_date(field, value)))))
    return rows


def _readable_date(field: forms.Field, value):
    """A stored ISO date or time as the active language writes it (in the site's time zone)."""
    if isinstance(value, str) and isinstance(field, forms.DateTimeField):
        moment = parse_datetime(value)
        if moment is not None:
            moment = timezone.localtime(moment) if timezone.is_aware(moment) else moment
            return formats.date_format(moment, "DATETIME_FORMAT")
    elif isinstance(value, str) and isinstance(field, forms.DateField):
        day = parse_date(value)
        if day is not None:
            return formats.date_format(day, "DATE_FORMAT")
    return value
