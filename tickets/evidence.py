"""The evidence each problem type asks for: its facts as form fields, in the order asked.

Each schema is a function returning fresh fields (a form must never share a field instance), and
tickets.problem_types points each problem type at one. The contact form adds these fields to the
ones every ticket has, the API checks its requests with the same form and describes them from
these fields, and the ticket page shows stored evidence with their labels and choices.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.validators import Network

TEXT_MAX_LENGTH = 500
AMOUNT_MAX_DIGITS = 24
AMOUNT_DECIMAL_PLACES = 8

Schema = dict[str, forms.Field]


def past_datetime(value: datetime | None) -> None:
    if value and value > timezone.now() + timedelta(minutes=5):
        raise ValidationError(_("This time is in the future."), code="future")


def past_date(value: date | None) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future")


def positive_amount(value: Decimal | None) -> None:
    if value is not None and value <= 0:
        raise ValidationError(_("Enter an amount greater than zero."), code="not_positive")


def _datetime_field(label, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        validators=[past_datetime],
        **kwargs,
    )


def _amount_field(label) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=AMOUNT_MAX_DIGITS,
        decimal_places=AMOUNT_DECIMAL_PLACES,
        validators=[positive_amount],
    )


CHOOSE_PROMPT = _("Choose…")
CHOICE_REQUIRED = _("Choose one of the options.")


def _choice(label, choices, *, radio: bool = False) -> forms.ChoiceField:
    """A required choice that starts unchosen: a drop-down opens on an empty "Choose…" option
    and radio buttons with none checked, so a hurried customer never files a fact by default."""
    options = list(choices)
    return forms.ChoiceField(
        label=label,
        widget=forms.RadioSelect if radio else forms.Select,
        choices=options if radio else [("", CHOOSE_PROMPT), *options],
        error_messages={"required": CHOICE_REQUIRED},
    )


def _text(label, *, required: bool = True, help_text="", max_length=TEXT_MAX_LENGTH):
    return forms.CharField(
        label=label, required=required, help_text=help_text, max_length=max_length
    )


def account_security() -> Schema:
    return {
        "security_issue": _choice(
            _("What happened?"),
            radio=True,
            choices=[
                ("cannot_log_in", _("I cannot log in")),
                ("unrecognised_activity", _("I see a log-in or activity I don't recognise")),
                ("lost_2fa", _("I lost my two-factor authentication (2FA) device")),
                ("password_reset", _("Resetting my password does not work")),
            ],
        ),
        "noticed_at": _datetime_field(_("When did you notice it?")),
        "funds_moved": _choice(
            _("Did any funds leave your account?"),
            radio=True,
            choices=[("yes", _("Yes")), ("no", _("No")), ("unsure", _("I don't know"))],
        ),
    }


def abnormal_transaction() -> Schema:
    return {
        "transaction_at": _datetime_field(_("Date and time of the transaction")),
        "amount": _amount_field(_("Amount")),
        "asset": _text(_("Asset or currency"), help_text=_("For example USDT, BTC, CNY.")),
        "network": _choice(_("Network"), Network.choices),
        "counterparty": _text(
            _("Counterparty address or account"),
            help_text=_("The address or account the funds were sent to or came from."),
        ),
        "transaction_hash": _text(
            _("Transaction ID or hash"),
            help_text=_("Copy it from the transaction details in the app."),
            max_length=128,
        ),
        "status_shown": _choice(
            _("Status shown in the app"),
            choices=[
                ("pending", _("Pending")),
                ("failed", _("Failed")),
                ("completed_not_received", _("Completed, but not received")),
                ("unknown_transaction", _("A transaction I did not make")),
                ("wrong_amount", _("Wrong amount")),
            ],
        ),
    }


def topup_withdrawal() -> Schema:
    return {
        "direction": _choice(
            _("Top-up or withdrawal?"),
            radio=True,
            choices=[("top_up", _("Top-up (deposit)")), ("withdrawal", _("Withdrawal"))],
        ),
        "method": _choice(
            _("Method"),
            choices=[
                ("bank_card", _("Bank card")),
                ("crypto_network", _("Crypto network")),
                ("third_party", _("Third-party payment")),
            ],
        ),
        "amount": _amount_field(_("Amount")),
        "occurred_at": _datetime_field(_("When did you try?")),
        "error_message": _text(
            _("Error message shown"),
            required=False,
            help_text=_("Copy the exact words, for example “Daily limit exceeded”."),
        ),
    }


def account_frozen() -> Schema:
    return {
        "notice_text": forms.CharField(
            label=_("The notice you received"),
            widget=forms.Textarea(attrs={"rows": 3}),
            max_length=2000,
            help_text=_("Copy the message shown in the app or the email you received."),
        ),
        "notice_date": forms.DateField(
            label=_("Date of the notice"),
            widget=forms.DateInput(attrs={"type": "date"}),
            validators=[past_date],
        ),
    }


def nothing() -> Schema:
    """No facts beyond the subject and description every ticket has."""
    return {}
