from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from agents.codes import agent_code_new, validate_agent_code
from common.i18n import Translated


class AgentProfile(models.Model):
    """An agent's desk identity: availability, capacity and the official agent code."""

    class Availability(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    display_name = models.CharField(_("display name"), max_length=60)
    agent_code = models.CharField(
        _("agent code"),
        max_length=16,
        unique=True,
        default=agent_code_new,
        validators=[validate_agent_code],
        help_text=_("Issued by the desk; customers check it on /verify/."),
    )
    availability = models.CharField(
        _("availability"),
        max_length=10,
        choices=Availability.choices,
        default=Availability.OFFLINE,
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity (open tickets)"), default=20, validators=[MinValueValidator(1)]
    )
    chat_capacity = models.PositiveSmallIntegerField(
        _("capacity (chats at once)"), default=3, validators=[MinValueValidator(1)]
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "tickets_agentprofile"
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.agent_code})"

    def clean(self) -> None:
        self.agent_code = self.agent_code.strip().upper()


class Team(Translated, models.Model):
    """A group of agents with its own working hours, time zone and holidays."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=80)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    working_hours = models.JSONField(
        _("working hours"),
        default=list,
        help_text=_(
            'A list of {"days": [0-6, Monday=0], "open": "HH:MM", "close": "HH:MM"}, or "always".'
        ),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="support_teams"
    )

    class Meta:
        db_table = "tickets_team"
        ordering = ["code"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.localized("name")

    def clean(self) -> None:
        from common.business_hours import parse_hours, parse_time_zone

        errors = {}
        try:
            parse_time_zone(name=self.time_zone, where="time zone")
        except ImproperlyConfigured as error:
            errors["time_zone"] = str(error)
        try:
            parse_hours(hours=self.working_hours, where="working hours")
        except ImproperlyConfigured as error:
            errors["working_hours"] = str(error)
        if errors:
            raise ValidationError(errors)


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    is_lead = models.BooleanField(_("team lead"), default=False)

    class Meta:
        db_table = "tickets_teammembership"
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="tickets_one_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class TeamHoliday(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=80, blank=True)

    class Meta:
        db_table = "tickets_teamholiday"
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["team", "date"], name="tickets_one_holiday_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.date}"


class ConsoleConnection(models.Model):
    """An open agent console socket, kept alive by its heartbeat. An agent is available for chat
    only while one of theirs is (agents.selectors.chat_agents_available)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="console_connections"
    )
    channel_name = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("console connection")
        verbose_name_plural = _("console connections")

    def __str__(self) -> str:
        return f"{self.user} console"
