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
    body = forms.CharField(
        label=_("Reply"),
        max_length=REPLY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Sent as your reply on each ticket and emailed to its customer. Customers may read "
            "English or Chinese: write in both languages."
        ),
    )
