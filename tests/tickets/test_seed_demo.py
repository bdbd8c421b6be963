import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command


@pytest.mark.django_db
def test_seed_demo_creates_printed_logins_and_reruns_without_duplicates(settings, capsys):
    settings.DEBUG = True

    call_command("seed_demo")
    call_command("seed_demo")

    output = capsys.readouterr().out
    users = get_user_model().objects.filter(username__in=["admin", "agent"])
    assert users.count() == 2
    agent = users.get(username="agent")
    assert agent.is_staff
    assert not agent.is_superuser
    assert agent.check_password("demo-agent-password")
    assert "agent / demo-agent-password" in output
    from agents.models import Team
    from agents.roles import desk_role

    role = desk_role(agent)
    assert role.is_agent
    assert not role.is_admin
    # The demo agent can work a whole morning: they reassign within the team they lead.
    assert role.lead_team_ids == {Team.objects.get(code="transactions").pk}
    from faq.models import Article
    from tickets.models import Ticket

    assert Ticket.objects.count() == 3
    assert Article.objects.count() >= 30


@pytest.mark.django_db
def test_seed_demo_refused_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")

    assert not get_user_model().objects.filter(username="agent").exists()
