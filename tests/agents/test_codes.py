"""Agent codes are issued by the desk, long and random; short ones typed before are reissued."""

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import RequestFactory
from django.urls import reverse

from agents.admin import AgentProfileAdmin
from agents.codes import (
    AGENT_CODE_ALPHABET,
    AGENT_CODE_LENGTH,
    agent_code_is_issued_form,
    agent_code_new,
)
from agents.models import AgentProfile
from tests.support.auth import login_with_second_factor
from verification.normalise import agent_code_normalise

pytestmark = pytest.mark.django_db


def staff(username: str = "lin"):
    return get_user_model().objects.create_user(username=username, is_staff=True)


def test_agent_code_new_is_long_random_and_unambiguous():
    codes = {agent_code_new() for _ in range(2000)}

    assert len(codes) == 2000
    for code in codes:
        body = code.removeprefix("WS-")
        assert len(body) == AGENT_CODE_LENGTH
        assert set(body) <= set(AGENT_CODE_ALPHABET)
        assert not set(body) & set("0O1ILU")
        assert agent_code_is_issued_form(code)
    # Every character of the alphabet turns up: the draw is not stuck on a few.
    assert set("".join(codes)) >= set(AGENT_CODE_ALPHABET)


def test_a_new_profile_gets_an_issued_code():
    profile = AgentProfile.objects.create(user=staff(), display_name="Lin")

    assert agent_code_is_issued_form(profile.agent_code)


@pytest.mark.parametrize(
    "short", ["WS-1024", "1024", "WS-ABCDEFGH", "WS-7K3M9QXD40", "WS-7K3M9QXD4"]
)
def test_issued_form_refuses_short_or_ambiguous_codes(short):
    assert not agent_code_is_issued_form(short)


@pytest.mark.parametrize(
    "typed",
    ["WS-7K3M9QXD4P", "ws-7k3m9qxd4p", "WS7K3M9QXD4P", "7K3M9QXD4P", "WS－7K3M9QXD4P",
     "ＷＳ－７Ｋ３Ｍ９ＱＸＤ４Ｐ", " ws 7k3m 9qxd 4p ", "WS-7K3M-9QXD-4P", "WS\u200b-7K3M9QXD4P"],
)  # fmt: skip
def test_an_issued_code_reads_in_every_spelling(typed):
    assert agent_code_normalise(typed) == "WS-7K3M9QXD4P"


@pytest.fixture
def admin_client(client, superuser):
    login_with_second_factor(client, superuser)
    return client


def post_profile(client, user, code: str):
    return client.post(
        reverse("admin:agents_agentprofile_add"),
        {
            "user": user.pk,
            "display_name": "Lin",
            "agent_code": code,
            "availability": "offline",
            "capacity": 20,
            "chat_capacity": 3,
        },
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_admin_refuses_a_hand_typed_short_code(admin_client, language):
    admin_client.cookies["django_language"] = language
    user = staff()

    response = post_profile(admin_client, user, "WS-1024")

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["agent_code"]
    assert "WS-" in errors[0]
    assert ("短" in errors[0]) == (language == "zh-hans")
    assert not AgentProfile.objects.exists()


def test_admin_offers_an_issued_code_and_keeps_it(admin_client):
    user = staff()
    offered = admin_client.get(reverse("admin:agents_agentprofile_add")).context["adminform"]
    code = offered.form["agent_code"].value()
    assert agent_code_is_issued_form(code)

    response = post_profile(admin_client, user, code.lower())

    assert response.status_code == 302
    assert AgentProfile.objects.get().agent_code == code


def test_admin_action_reissues_a_leaked_code(superuser):
    profile = AgentProfile.objects.create(user=staff(), display_name="Lin")
    leaked = profile.agent_code
    request = RequestFactory().post("/admin/")
    request.user = superuser
    request._messages = type("Sink", (), {"add": lambda *args, **kwargs: None})()

    AgentProfileAdmin(AgentProfile, site).reissue_codes(request, AgentProfile.objects.all())

    profile.refresh_from_db()
    assert profile.agent_code != leaked
    assert agent_code_is_issued_form(profile.agent_code)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_reissues_short_codes_and_keeps_issued_ones():
    executor = MigrationExecutor(connection)
    old_apps = executor.migrate([("agents", "0002_console_connections")]).apps
    User = old_apps.get_model("auth", "User")
    Profile = old_apps.get_model("agents", "AgentProfile")
    short = Profile.objects.create(
        user=User.objects.create(username="lin"), display_name="Lin", agent_code="WS-1024"
    )
    issued = Profile.objects.create(
        user=User.objects.create(username="mei"), display_name="Mei", agent_code="WS-7K3M9QXD4P"
    )
    try:
        MigrationExecutor(connection).migrate([("agents", "0003_agent_codes_issued")])
    finally:
        call_command("migrate", verbosity=0)

    assert agent_code_is_issued_form(AgentProfile.objects.get(pk=short.pk).agent_code)
    assert AgentProfile.objects.get(pk=issued.pk).agent_code == "WS-7K3M9QXD4P"
