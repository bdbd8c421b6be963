"""Writes of the agents' own state."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.codes import agent_code_new
from agents.error_codes import AgentErrorCode
from agents.models import AgentProfile, ConsoleConnection
from agents.selectors import console_timeout
from common.errors import DeskError


def agent_code_reissue(*, profile: AgentProfile) -> str:
    """A new code for an agent whose code leaked or was short: the old one stops verifying."""
    code = agent_code_new()
    while AgentProfile.objects.filter(agent_code=code).exists():
        code = agent_code_new()
    AgentProfile.objects.filter(pk=profile.pk).update(agent_code=code)
    profile.agent_code = code
    return code


def agent_set_presence(*, agent: AbstractBaseUser, availability: str) -> AgentProfile:
    """Set an agent's availability. Only an admin gives someone an agent profile (and with it an
    agent code customers can check): presence never creates one."""
    if availability not in AgentProfile.Availability.values:
        raise DeskError(_("Presence is online, away or offline."), code=AgentErrorCode.INVALID)
    profile = AgentProfile.objects.filter(user=agent).first()
    if profile is None:
        raise DeskError(
            _("You have no agent profile. Ask an admin to make you an agent of a team."),
            code=AgentErrorCode.NOT_AN_AGENT,
        )
    profile.availability = availability
    profile.save(update_fields=["availability"])
    return profile


def console_connected(*, agent: AbstractBaseUser, channel_name: str) -> None:
    """An agent console socket opened: the agent counts as present while it beats."""
    ConsoleConnection.objects.update_or_create(
        channel_name=channel_name, defaults={"user": agent, "seen_at": timezone.now()}
    )


def console_heartbeat(*, agent: AbstractBaseUser, channel_name: str) -> None:
    """A console's heartbeat; a console pruned while it was silent comes back."""
    updated = ConsoleConnection.objects.filter(channel_name=channel_name, user=agent).update(
        seen_at=timezone.now()
    )
    if not updated:
        console_connected(agent=agent, channel_name=channel_name)


def console_disconnected(*, channel_name: str) -> None:
    ConsoleConnection.objects.filter(channel_name=channel_name).delete()


def consoles_prune() -> int:
    """Forget consoles silent for long (a server that died could not say they closed)."""
    silent_since = timezone.now() - 10 * timedelta(seconds=console_timeout())
    deleted, _rows = ConsoleConnection.objects.filter(seen_at__lt=silent_since).delete()
    return deleted


@transaction.atomic
def first_admin_create(*, username: str, email: str, password: str):
    """Create the desk's first superuser, unless one exists already (then None): a fresh
    deployment's bootstrap may run on every start without touching the accounts."""
    user_model = get_user_model()
    if user_model.objects.select_for_update().filter(is_superuser=True).exists():
        return None
    user = user_model(username=username, email=email, is_staff=True, is_superuser=True)
    validate_password(password, user)  # ValidationError: a weak or look-alike password
    user.set_password(password)
    user.full_clean()
    user.save()
    return user
