"""The recovery-phrase guard as every customer-facing entry point uses it.

Forms, replies, live chat, email and the API call `refuse_secrets` before anything is saved or
sent: a field holding a secret is refused with a message in the customer's language, and only
the kind of secret and the field name are ever recorded (`record_refusals`).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from guard.detect import SecretKind, scan_conversation
from security.ratelimit import RateLimited

REFUSAL_MESSAGES = {
    SecretKind.RECOVERY_PHRASE: _(
        "This looks like a wallet recovery phrase. We removed it and saved nothing: Wallet "
        "Support never needs your recovery phrase, and anyone who asks for it is a scammer. If "
        "you have already shared it, move your funds to a new wallet now, then tell us what "
        "happened without the words."
    ),
    SecretKind.PRIVATE_KEY: _(
        "This looks like a private key. We removed it and saved nothing: Wallet Support never "
        "needs a private key. If you have already shared it, move your funds to a new wallet "
        "now, then tell us what happened without the key."
    ),
    SecretKind.CARD_NUMBER: _(
        "This looks like a payment card number. We removed it and saved nothing: never send "
        "card numbers to support. If you shared it somewhere, ask your bank to block the card."
    ),
}


@dataclass(frozen=True)
class Refusal:
    field: str
    kind: SecretKind

    @property
    def message(self) -> str:
        return str(REFUSAL_MESSAGES[self.kind])


def refuse_secrets(
    values: Mapping[str, object],
    *,
    hash_fields: Iterable[str] = (),
    previous: Sequence[str] = (),
) -> list[Refusal]:
    """The fields whose text holds a secret; a hash field's bare 64-hex value is a hash.
    `previous`: what the same sender wrote last in this conversation (oldest first, at most
    guard.detect.RECENT_MESSAGES), so a secret split across messages is refused as it is
    completed."""
    hash_fields = set(hash_fields)
    refusals = []
    for field, value in values.items():
        if not isinstance(value, str) or not value:
            continue
        findings = scan_conversation([*previous, value], hash_field=field in hash_fields)
        if findings:
            refusals.append(Refusal(field, findings[0].kind))
    return refusals


def form_rate_limited(
    form: forms.Form,
    limited: RateLimited,
    *,
    field: str | None = None,
    hash_fields: Iterable[str] = (),
) -> forms.Form:
    """The posted form with its input kept and the limit as its error (on `field`, or for the
    whole form). It is not validated: a refused attempt costs no checks and saves nothing. A
    recovery phrase, private key or card number typed in it is blanked, as every form does, so
    the page never sends it back (`hash_fields` may hold a bare transaction hash)."""
    refusals = refuse_secrets(typed_text(form), hash_fields=hash_fields)
    if refusals:
        data = form.data.copy()
        for refusal in refusals:
            data[form.add_prefix(refusal.field)] = ""
        form.data = data
    # Errors without full_clean(): set what validation would have set, then add the one error.
    form.cleaned_data = {}
    form._errors = ErrorDict(renderer=form.renderer)
    form.add_error(field, limited.message)
    return form


def typed_text(form: forms.Form, names: Iterable[str] | None = None) -> dict[str, str]:
    """What a person typed into `form` (its text fields, or `names`), valid or not: a secret is
    refused wherever it is, even in a field that fails its own checks."""
    if names is None:
        names = [
            name
            for name, field in form.fields.items()
            if not isinstance(field, forms.FileField | forms.ChoiceField | forms.UUIDField)
        ]
    return {name: form.data.get(form.add_prefix(name), "") for name in names}


class SecretRefusingForm:
    """A form mixin: `clean()` refuses a secret typed in any text field (or in `secret_fields`),
    as that field's error, and keeps the refusals in `refusals` for the view to record;
    `without_refused_text()` blanks those fields, so the page never sends the secret back."""

    secret_fields: tuple[str, ...] | None = None
    # Fields that may hold a bare transaction hash, which looks like a raw private key.
    secret_hash_fields: frozenset[str] = frozenset()

    def __init__(self, *args, previous_texts: Sequence[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.refusals: list[Refusal] = []
        # The sender's last messages in the conversation, read together with what they typed.
        self.previous_texts = previous_texts

    def clean(self) -> dict:
        cleaned = super().clean()
        typed = typed_text(self, self.secret_fields)
        self.refusals = refuse_secrets(
            typed, hash_fields=self.secret_hash_fields, previous=self.previous_texts
        )
        for refusal in self.refusals:
            if refusal.field in self.fields:
                self.add_error(refusal.field, refusal.message)
        return cleaned

    def without_refused_text(self):
        if self.refusals:
            data = self.data.copy()
            for refusal in self.refusals:
                data[self.add_prefix(refusal.field)] = ""
            self.data = data
        return self
