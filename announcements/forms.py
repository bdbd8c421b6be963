from django import forms
from django.contrib.admin.widgets import AdminTextareaWidget
from django.utils.translation import gettext_lazy as _

from announcements.models import Announcement
from tickets.models import ProblemType

REPLY_MAX_LENGTH = 5000


class AnnouncementForm(forms.ModelForm):
    """The admin's form: problem types as checkboxes rather than raw JSON."""

    problem_types = forms.MultipleChoiceField(
        label=_("Problem types"),
        choices=ProblemType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick none when it concerns every problem type."),
    )

    class Meta:
        model = Announcement
        fields = (
            "severity",
            "is_published",
            "title_en",
            "body_en",
            "title_zh_hans",
            "body_zh_hans",
            "starts_at",
            "ends_at",
            "problem_types",
        )
        widgets = {
            "body_en": AdminTextareaWidget(attrs={"rows": 4}),
            "body_zh_hans": AdminTextareaWidget(attrs={"rows": 4}),
        }


class ReplyAllForm(forms.Form):
    """One text per language: each ticket is answered in its customer's."""

    body_en = forms.CharField(
        label=_("Reply in English"),
        max_length=REPLY_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "lang": "en"}),
        help_text=_("Sent on the tickets written in English."),
    )
    body_zh_hans = forms.CharField(
        label=_("Reply in Chinese"),
        max_length=REPLY_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "lang": "zh-Hans"}),
        help_text=_("Sent on the tickets written in Chinese."),
    )

    def bodies(self) -> dict[str, str]:
        return {"en": self.cleaned_data["body_en"], "zh_hans": self.cleaned_data["body_zh_hans"]}
