"""The apps split moved models out of tickets by Django's state alone: a database built before it
migrates forward with every row, every foreign key and every permission where it was."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from agents.models import AgentProfile, Team, TeamHoliday, TeamMembership
from guard.models import GuardEvent
from inbound.models import InboundEmail
from mail.models import SentMail
from privacy.models import DataRequest
from tickets.models import RoutingRule, Ticket

# The database as the last release before the split left it: the new apps did not exist.
BEFORE_SPLIT = [
    ("tickets", "0013_inbound_limits"),
    ("agents", None),
    ("guard", None),
    ("inbound", None),
    ("mail", None),
    ("privacy", None),
]
MOVED = {
    "agentprofile": "agents",
    "team": "agents",
    "teammembership": "agents",
    "teamholiday": "agents",
    "guardevent": "guard",
    "inboundemail": "inbound",
    "sentmail": "mail",
    "datarequest": "privacy",
}


def _migrate(targets):
    state = MigrationExecutor(connection).migrate(targets)
    ContentType.objects.clear_cache()
    return state.apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _fill_before_split(old_apps) -> dict[str, int]:
    """One row of every moved model, written with the models as they were (app label tickets)."""
    User = old_apps.get_model("auth", "User")
    OldTeam = old_apps.get_model("tickets", "Team")
    OldTicket = old_apps.get_model("tickets", "Ticket")
    user = User.objects.create(username="lin", is_staff=True)
    team = OldTeam.objects.create(code="security", name_en="Security", name_zh_hans="安全")
    old_apps.get_model("tickets", "AgentProfile").objects.create(
        user=user, display_name="Lin", agent_code="WS-1024"
    )
    old_apps.get_model("tickets", "TeamMembership").objects.create(team=team, user=user)
    old_apps.get_model("tickets", "TeamHoliday").objects.create(team=team, date="2026-10-01")
    rule = old_apps.get_model("tickets", "RoutingRule").objects.create(
        name="Security", team=team, priority="urgent", problem_type="account_security"
    )
    ticket = OldTicket.objects.create(
        reference="WS-BEFORE22",
        channel="web",
        subject="Someone logged in",
        customer_email="li.wei@example.com",
        team=team,
        assignee=user,
    )
    message = old_apps.get_model("tickets", "Message").objects.create(
        ticket=ticket, author_kind="customer", body="Someone logged in from another country."
    )
    old_apps.get_model("tickets", "GuardEvent").objects.create(
        ticket=ticket, source="contact_form", kind="recovery_phrase", field="description"
    )
    old_apps.get_model("tickets", "InboundEmail").objects.create(
        dedupe_key="d" * 64,
        raw_sha256="r" * 64,
        size=512,
        outcome="new_ticket",
        ticket=ticket,
        ticket_message=message,
    )
    old_apps.get_model("tickets", "SentMail").objects.create(task_id="task-before-the-split")
    old_apps.get_model("tickets", "DataRequest").objects.create(
        kind="export", email="li.wei@example.com", email_hash="h" * 64
    )
    return {"user": user.pk, "team": team.pk, "ticket": ticket.pk, "rule": rule.pk}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_from_before_the_split_keeps_its_rows_links_and_permissions():
    old_apps = _migrate(BEFORE_SPLIT)
    # Content types as the old release left them: every moved model under tickets.
    OldContentType = old_apps.get_model("contenttypes", "ContentType")
    assert set(
        OldContentType.objects.filter(model__in=MOVED).values_list("app_label", flat=True)
    ) == {"tickets"}
    ids = _fill_before_split(old_apps)
    OldPermission = old_apps.get_model("auth", "Permission")
    leads = old_apps.get_model("auth", "Group").objects.create(name="Team leads")
    leads.permissions.add(
        OldPermission.objects.get(content_type__app_label="tickets", codename="change_team"),
        OldPermission.objects.get(content_type__app_label="tickets", codename="view_guardevent"),
    )

    before = {model: old_apps.get_model("tickets", model).objects.count() for model in MOVED}
    assert all(before.values())

    try:
        _migrate(_latest())
    finally:
        call_command("migrate", verbosity=0)  # whatever happens, leave the test database whole

    after = {
        model._meta.model_name: model.objects.count()
        for model in (
            AgentProfile,
            Team,
            TeamMembership,
            TeamHoliday,
            GuardEvent,
            InboundEmail,
            SentMail,
            DataRequest,
        )
    }
    assert after == before
    ticket = Ticket.objects.get(pk=ids["ticket"])
    assert ticket.team == Team.objects.get(code="security")
    assert ticket.guard_events.get().kind == "recovery_phrase"
    assert ticket.inbound_emails.get().ticket_message == ticket.messages.get()
    assert RoutingRule.objects.get(pk=ids["rule"]).team_id == ids["team"]
    assert AgentProfile.objects.get().user_id == ids["user"]
    # The content types moved with their models: permissions granted before still apply.
    assert {
        (content_type.model, content_type.app_label)
        for content_type in ContentType.objects.filter(model__in=MOVED)
    } == set(MOVED.items())
    assert set(
        Group.objects.get(name="Team leads").permissions.values_list(
            "content_type__app_label", "codename"
        )
    ) == {("agents", "change_team"), ("guard", "view_guardevent")}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_split_migrates_back_to_the_old_layout():
    """A release rolled back after the upgrade finds its models and content types where it
    left them."""
    try:
        old_apps = _migrate(BEFORE_SPLIT)
        OldContentType = old_apps.get_model("contenttypes", "ContentType")
        assert set(
            OldContentType.objects.filter(model__in=MOVED).values_list("app_label", "model")
        ) == {("tickets", model) for model in MOVED}
        assert old_apps.get_model("tickets", "Team")._meta.db_table == "tickets_team"
    finally:
        call_command("migrate", verbosity=0)
    assert ContentType.objects.get_for_model(Team).app_label == "agents"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_permissions_and_history_follow_when_the_new_content_type_is_already_there():
    """New code can serve a page before `migrate` runs (a rolling deploy), and Django then makes
    the content type under the new label: the grants and the admin's history still move to it,
    and one content type per model is left."""
    old_apps = _migrate(BEFORE_SPLIT)
    ids = _fill_before_split(old_apps)
    OldContentType = old_apps.get_model("contenttypes", "ContentType")
    OldPermission = old_apps.get_model("auth", "Permission")
    old_team = OldContentType.objects.get(app_label="tickets", model="team")
    early_team = OldContentType.objects.create(app_label="agents", model="team")
    OldPermission.objects.create(content_type=early_team, codename="change_team", name="x")
    leads = old_apps.get_model("auth", "Group").objects.create(name="Team leads")
    leads.permissions.add(OldPermission.objects.get(content_type=old_team, codename="change_team"))
    lin = old_apps.get_model("auth", "User").objects.get(pk=ids["user"])
    lin.user_permissions.add(OldPermission.objects.get(content_type=old_team, codename="view_team"))
    old_apps.get_model("admin", "LogEntry").objects.create(
        user=lin,
        content_type=old_team,
        object_id=str(ids["team"]),
        object_repr="Security",
        action_flag=2,
    )

    try:
        _migrate(_latest())
    finally:
        call_command("migrate", verbosity=0)

    team_types = ContentType.objects.filter(model="team")
    assert [content_type.app_label for content_type in team_types] == ["agents"]
    assert set(
        Group.objects.get(name="Team leads").permissions.values_list(
            "content_type__app_label", "codename"
        )
    ) == {("agents", "change_team")}
    lin = get_user_model().objects.get(pk=ids["user"])
    assert lin.has_perm("agents.view_team")
    assert LogEntry.objects.get().content_type == team_types.get()
