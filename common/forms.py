"""Forms that never send back a value they refused.

Django's choice fields say "Select a valid choice. <the value sent> is not one of the available
choices.", and DRF's say `"<the value>" is not a valid choice.`: a value sent where a choice was
expected is a forged or broken request, and it may be a recovery phrase pasted into the wrong
box, so the message names no value and the page does not render it again.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

CHOOSE_OFFERED = _("Choose one of the options offered.")

# The messages of Django's fields that quote what was sent (ChoiceField and its subclasses,
# ModelMultipleChoiceField); ModelChoiceField's names no value, but says the same thing.
_QUOTING_MESSAGES = ("invalid_choice", "invalid_pk_value")


def _default_message(field: forms.Field, name: str):
    for klass in type(field).__mro__:
        default = vars(klass).get("default_error_messages", {}).get(name)
        if default is not None:
            return default
    return None


def choices_not_echoed(fields: dict[str, forms.Field]) -> None:
    """Give every choice field among `fields` a message that names no value (a message the
    form chose itself, such as "Choose yes or no.", is kept)."""
    for field in fields.values():
        for name in _QUOTING_MESSAGES:
            default = _default_message(field, name)
            if default is not None and field.error_messages.get(name) is default:
                field.error_messages[name] = CHOOSE_OFFERED


def is_choice(field: forms.Field) -> bool:
    return isinstance(field, forms.ChoiceField | forms.ModelChoiceField)


class ChoicesNotEchoed:
    """A form mixin: its choice fields' errors name no value, and a refused choice is not
    rendered again (a hidden input would send it back in the page)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices_not_echoed(self.fields)

    def full_clean(self) -> None:
        super().full_clean()
        refused = [
            name
            for name in (self._errors or {})
            if name in self.fields and is_choice(self.fields[name])
        ]
        if refused:
            data = self.data.copy()
            for name in refused:
                initial = self.get_initial_for_field(self.fields[name], name)
                data[self.add_prefix(name)] = initial if isinstance(initial, str) else ""
            self.data = data
