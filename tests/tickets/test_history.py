"""A ticket's history reads in the language of whoever reads it, whoever wrote it."""

import pytest
from django.urls import reverse
from django.utils import translation

from agents.models import Team
from tests.support.auth import login_with_second_factor
from tests.support.factories import make_ticket
from tickets import selectors, services
from tickets.models import Status, Ticket, TicketEvent


@pytest.fixture
def teams():
    return Team.objects.get(code="payments"), Team.objects.get(code="account-security")


def _ticket_of(team):
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(team=team)
    ticket.refresh_from_db()
    return ticket


@pytest.mark.django_db
def test_a_team_change_made_in_chinese_is_stored_by_code(teams, superuser):
    payments, security = teams
    ticket = _ticket_of(payments)

    with translation.override("zh-hans"):
        services.ticket_reassign(ticket=ticket, actor=superuser, team=security)

    event = ticket.events.get(kind=TicketEvent.Kind.ROUTED, field="team")
    assert (event.old_value, event.new_value) == ("payments", "account-security")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_history_names_teams_and_statuses_in_the_readers_language(teams, superuser, language):
    payments, security = teams
    ticket = _ticket_of(payments)
    with translation.override("zh-hans" if language == "en" else "en"):
        services.ticket_reassign(ticket=ticket, actor=superuser, team=security)
        services.ticket_change_status(ticket=ticket, status=Status.PENDING, actor=superuser)
    # An event written before the history stored codes: a team's name in the actor's language.
    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.ROUTED,
        field="team",
        old_value=security.name_zh_hans,
        new_value=payments.name_en,
    )

    with translation.override(language):
        lines = {(line.old, line.new) for line in selectors.ticket_history(ticket=ticket)}
        names = {team.code: str(team) for team in teams}
        status_labels = (str(Status(ticket.status).label), str(Status.PENDING.label))

    assert (names["payments"], names["account-security"]) in lines
    assert (names["account-security"], names["payments"]) in lines
    assert status_labels[1] in {new for _old, new in lines}
    other = "en" if language == "zh-hans" else "zh_hans"
    for team in teams:
        assert getattr(team, f"name_{other}") not in {value for line in lines for value in line}


@pytest.mark.django_db
def test_the_ticket_page_shows_the_history_in_the_agents_language(client, teams, superuser):
    payments, security = teams
    ticket = _ticket_of(payments)
    with translation.override("en"):
        services.ticket_reassign(ticket=ticket, actor=superuser, team=security)
    login_with_second_factor(client, superuser)

    page = client.get(
        reverse("admin:tickets_ticket_change", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()

    history = page[page.index('id="history-title"') :]
    assert security.name_zh_hans in history
    assert f"<td>{security.name_en}</td>" not in history
