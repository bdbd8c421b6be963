"""What routing and the SLA clocks read on every ticket but editors change rarely: the routing
rules, the SLA policies and the teams' calendars, held once per process.

A snapshot is reloaded when the version key in the shared cache differs from the one it was
loaded under (one cache read per task), when the key is missing (a flushed cache), and at the
latest after `MAX_AGE_SECONDS`. An editor's save or delete in the admin bumps the key twice: at
once, so this process reloads at its next read, and after commit, so a worker that reloaded in
between (still seeing the old rows) reloads again.
"""

import logging
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from agents.models import Team
from common.business_hours import BusinessCalendar

logger = logging.getLogger(__name__)

VERSION_KEY = "tickets:routing-config-version"
MAX_AGE_SECONDS = 300


@dataclass(frozen=True)
class RoutingConfig:
    version: str
    loaded_at: float
    rules: tuple  # active RoutingRule rows with their team, in order
    policies: dict[tuple[str, str], tuple[int, int]]  # (problem type, priority) -> minutes
    teams: dict[int, Team]
    calendars: dict[int | None, BusinessCalendar]


_held: RoutingConfig | None = None


def routing_config() -> RoutingConfig:
    """The current snapshot; reloads it when an editor changed something since it was read."""
    global _held
    try:
        version = cache.get(VERSION_KEY)
    except Exception:  # a dead cache: read the rows every time rather than serve stale ones
        version = None
    held = _held
    if (
        held is not None
        and version is not None
        and held.version == version
        and time.monotonic() - held.loaded_at < MAX_AGE_SECONDS
    ):
        return held
    if version is None:
        version = uuid.uuid4().hex
        try:
            if not cache.add(VERSION_KEY, version, timeout=None):
                version = cache.get(VERSION_KEY) or version
        except Exception:
            logger.warning("routing config: the cache is unreachable; read from the database")
    _held = _load(version)
    return _held


def routing_config_changed() -> None:
    """Tell every process to reload: now, and again once the editor's transaction commits."""
    _bump()
    transaction.on_commit(_bump)


def routing_config_forget() -> None:
    """Drop this process's snapshot (tests)."""
    global _held
    _held = None


def _bump() -> None:
    global _held
    _held = None
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        # Workers then reload within MAX_AGE_SECONDS, or at once while the cache stays down.
        logger.warning("routing config: could not bump the version in the cache")


def _load(version: str) -> RoutingConfig:
    from tickets.models import RoutingRule, SLAPolicy

    teams = {team.pk: team for team in Team.objects.prefetch_related("holidays")}
    rules = tuple(RoutingRule.objects.filter(is_active=True).order_by("order", "id"))
    for rule in rules:
        rule.team = teams[rule.team_id]
    policies = {
        (policy.problem_type, policy.priority): (
            policy.first_response_minutes,
            policy.resolution_minutes,
        )
        for policy in SLAPolicy.objects.all()
    }
    calendars: dict[int | None, BusinessCalendar] = {
        team_id: calendar_of(team) for team_id, team in teams.items()
    }
    calendars[None] = calendar_of(None)
    return RoutingConfig(version, time.monotonic(), rules, policies, teams, calendars)


def calendar_of(team: Team | None) -> BusinessCalendar:
    """A team's business hours read from its row; without a team, around the clock."""
    if team is None:
        return BusinessCalendar.from_config(time_zone=settings.TIME_ZONE, hours="always")
    return BusinessCalendar.from_config(
        time_zone=team.time_zone,
        hours=team.working_hours or "always",
        holidays=[holiday.date for holiday in team.holidays.all()],
    )


def _changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    routing_config_changed()


def routing_config_watch() -> None:
    """Connect the admin's saves and deletes of what the snapshot holds (TicketsConfig.ready)."""
    from django.db.models.signals import post_delete, post_save

    from agents.models import TeamHoliday
    from tickets.models import RoutingRule, SLAPolicy

    for model in (RoutingRule, SLAPolicy, Team, TeamHoliday):
        post_save.connect(_changed, sender=model, dispatch_uid=f"routing-config-{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"routing-config-del-{model.__name__}"
        )
