from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.i18n import Translated
from tickets.models import ProblemType


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


# Banners are listed most severe first.
SEVERITY_RANK: dict[str, int] = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


class Announcement(Translated, models.Model):
    """A service notice (an outage, a phishing wave, long waits) shown to visitors while live."""

    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.INFO
    )
    title_en = models.CharField(_("title (English)"), max_length=160)
    title_zh_hans = models.CharField(_("title (Chinese)"), max_length=160)
    body_en = models.CharField(_("text (English)"), max_length=1000, blank=True)
    body_zh_hans = models.CharField(_("text (Chinese)"), max_length=1000, blank=True)
    starts_at = models.DateTimeField(_("starts"), default=timezone.now, db_index=True)
    ends_at = models.DateTimeField(
        _("ends"),
        null=True,
        blank=True,
        help_text=_("Leave empty while the end is unknown; the announcement shows until then."),
    )
    problem_types = models.JSONField(
        _("problem types"),
        default=list,
        blank=True,
        help_text=_("The problems it concerns; none means every problem type."),
    )
    is_published = models.BooleanField(_("published"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="announcements_created",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)
    # Tickets filed while the announcement was live, so agents can answer them together.
    tickets = models.ManyToManyField(
        "tickets.Ticket",
        blank=True,
        related_name="announcements",
        verbose_name=_("tagged tickets"),
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="announcements_ends_after_start",
                violation_error_message=_("The end must come after the start."),
            ),
            models.CheckConstraint(
                condition=models.Q(severity__in=Severity.values),
                name="announcements_known_severity",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        # Empty titles are refused by the fields themselves; this catches blank-looking ones.
        for field in ("title_en", "title_zh_hans"):
            value = getattr(self, field)
            if value and not value.strip():
                errors[field] = _("Write the title in both languages.")
        body_en, body_zh_hans = self.body_en.strip(), self.body_zh_hans.strip()
        if bool(body_en) != bool(body_zh_hans):
            missing = "body_en" if body_zh_hans else "body_zh_hans"
            errors[missing] = _("Write the text in both languages, or leave both empty.")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The end must come after the start.")
        if not isinstance(self.problem_types, list) or not all(
            value in ProblemType.values for value in self.problem_types
        ):
            errors["problem_types"] = _("Choose problem types from the list.")
        else:
            chosen = set(self.problem_types)
            self.problem_types = [value for value in ProblemType.values if value in chosen]
        if errors:
            raise ValidationError(errors)

    @property
    def title(self) -> str:
        return self.localized("title")

    @property
    def body(self) -> str:
        return self.localized("body")

    @property
    def severity_rank(self) -> int:
        return SEVERITY_RANK.get(self.severity, len(SEVERITY_RANK))

    def is_live(self, *, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return (
            self.is_published
            and self.starts_at <= now
            and (self.ends_at is None or self.ends_at > now)
        )

    def concerns(self, problem_type: str | None) -> bool:
        """Whether visitors with this problem should see it (None: any problem)."""
        return problem_type is None or not self.problem_types or problem_type in self.problem_types

    def problem_type_labels(self) -> list[str]:
        labels = dict(ProblemType.choices)
        return [str(labels.get(value, value)) for value in self.problem_types]
