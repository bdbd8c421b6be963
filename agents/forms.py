"""The admin's team form: working hours as a week of opening times instead of raw JSON."""

from datetime import time

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from agents.models import Team
from common.business_hours import ALWAYS, parse_hours

WEEKDAYS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)
WINDOWS_A_DAY = 2  # a split shift, or a lunch break
MIDNIGHT = time(0, 0)


def _clock(value: time) -> str:
    return value.strftime("%H:%M")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


def hours_field_names(day: int, window: int) -> tuple[str, str]:
    return f"day{day}_opens{window}", f"day{day}_closes{window}"


class TeamForm(forms.ModelForm):
    """A team's week: for each day up to two windows, each an opening and a closing time (a
    closing time at or before the opening runs past midnight; 00:00 to 00:00 is the whole
    day), or open around the clock. Saved as the JSON the business-hours engine reads."""

    always_open = forms.BooleanField(
        label=_("Open around the clock"),
        required=False,
        help_text=_("Every day, all day: the times below are ignored."),
    )

    class Meta:
        model = Team
        fields = ("code", "name_en", "name_zh_hans", "time_zone")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._fill_initial(self.instance.working_hours if self.instance.pk else [])

    def _fill_initial(self, hours) -> None:
        if hours == ALWAYS:
            self.initial["always_open"] = True
            return
        per_day: dict[int, list[tuple[str, str]]] = {day: [] for day in range(7)}
        for entry in hours or []:
            for day in entry.get("days", []):
                if day in per_day:
                    close = "00:00" if entry.get("close") == "24:00" else entry.get("close")
                    per_day[day].append((entry.get("open"), close))
        for day, windows in per_day.items():
            for window, (opens, closes) in enumerate(sorted(windows)[:WINDOWS_A_DAY]):
                opens_name, closes_name = hours_field_names(day, window)
                self.initial[opens_name] = opens
                self.initial[closes_name] = closes

    def clean(self):
        # Until the week is read, the model's own check (Team.clean) sees hours that pass: the
        # form's errors say what is wrong, in the agent's words, and nothing is saved.
        self.instance.working_hours = ALWAYS
        cleaned = super().clean()
        if cleaned.get("always_open"):
            self.instance.working_hours = ALWAYS
            return cleaned
        grouped: dict[tuple[str, str], list[int]] = {}
        for day, day_name in enumerate(WEEKDAYS):
            for window in range(WINDOWS_A_DAY):
                opens_name, closes_name = hours_field_names(day, window)
                opens, closes = cleaned.get(opens_name), cleaned.get(closes_name)
                if opens_name in self.errors or closes_name in self.errors:
                    continue
                if (opens is None) != (closes is None):
                    missing = closes_name if closes is None else opens_name
                    self.add_error(missing, _("Give both an opening and a closing time."))
                    continue
                if opens is None:
                    continue
                if opens == closes and opens != MIDNIGHT:
                    self.add_error(
                        closes_name,
                        _(
                            "%(day)s opens and closes at the same time: a window needs a "
                            "length (00:00 to 00:00 is the whole day)."
                        )
                        % {"day": day_name},
                    )
                    continue
                close_text = "24:00" if closes == MIDNIGHT else _clock(closes)
                grouped.setdefault((_clock(opens), close_text), []).append(day)
        if self.errors:
            return cleaned
        if not grouped:
            raise forms.ValidationError(
                _("Give the team's opening times for at least one day, or open around the clock.")
            )
        hours = [
            {"days": days, "open": opens, "close": closes}
            for (opens, closes), days in sorted(grouped.items(), key=lambda item: item[1])
        ]
        try:
            parse_hours(hours=hours, where="working hours")
        except ImproperlyConfigured:
            raise forms.ValidationError(
                _("These opening times cannot be read: check each day's times.")
            ) from None
        # Set before the model's own clean() runs, which checks the hours once more.
        self.instance.working_hours = hours
        return cleaned


def _declare_week(form_class: type[forms.ModelForm]) -> None:
    """The week's time fields, declared on the class (the admin's fieldsets name them)."""
    for day, day_name in enumerate(WEEKDAYS):
        for window in range(WINDOWS_A_DAY):
            opens, closes = hours_field_names(day, window)
            if window == 0:
                labels = (
                    format_lazy(_("{day} opens"), day=day_name),
                    format_lazy(_("{day} closes"), day=day_name),
                )
            else:
                labels = (
                    format_lazy(_("{day}, second window opens"), day=day_name),
                    format_lazy(_("{day}, second window closes"), day=day_name),
                )
            for name, label in zip((opens, closes), labels, strict=True):
                field = forms.TimeField(label=label, required=False, widget=TimeInput())
                form_class.base_fields[name] = form_class.declared_fields[name] = field


_declare_week(TeamForm)
