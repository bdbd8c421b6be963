"""Ending a log-in closes that user's agent sockets; agents' sensitive actions land in an audit
log that admins can read and nobody can change."""

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection
from django.db.utils import InternalError
from django.test import Client

from security.audit import Action, audit_record
from security.models import AuditEvent
from tests.support.auth import login_with_second_factor
from tests.support.chat import communicator, run
from tests.support.factories import make_agent
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def verified_client(user) -> tuple[Client, bytes]:
    client = Client()
    login_with_second_factor(client, user)
    session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
    return client, f"{settings.SESSION_COOKIE_NAME}={session_id}".encode()


async def open_agent_socket(cookie: bytes):
    socket = communicator("/ws/agent/", cookie)
    connected, _ = await socket.connect()
    assert connected
    snapshot = await socket.receive_json_from(timeout=3)
    assert snapshot["type"] == "queue"
    return socket


async def assert_closed(socket, code: int = 4401) -> None:
    output = await socket.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": code}


async def assert_still_open(socket) -> None:
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


def test_logging_out_closes_that_sessions_socket_only():
    agent = make_agent("transactions")
    client, cookie = verified_client(agent)
    _other_client, other_cookie = verified_client(agent)

    async def scenario():
        socket = await open_agent_socket(cookie)
        other_device = await open_agent_socket(other_cookie)
        await database_sync_to_async(client.post)("/admin/logout/")
        await assert_closed(socket)
        await assert_still_open(other_device)

    run(scenario)
    assert AuditEvent.objects.filter(action=Action.LOGOUT, actor_id=agent.pk).exists()


def test_a_new_password_closes_every_socket_of_the_user():
    agent = make_agent("transactions")
    _client, cookie = verified_client(agent)
    colleague = make_agent("transactions")
    _colleague_client, colleague_cookie = verified_client(colleague)

    def change_password():
        agent.set_password("a-brand-new-long-password")
        agent.save()

    async def scenario():
        socket = await open_agent_socket(cookie)
        colleague_socket = await open_agent_socket(colleague_cookie)
        await database_sync_to_async(change_password)()
        await assert_closed(socket)
        await assert_still_open(colleague_socket)

    run(scenario)


@pytest.mark.parametrize("field", ["is_staff", "is_active"])
def test_losing_the_agent_role_closes_the_socket(field):
    agent = make_agent("transactions")
    _client, cookie = verified_client(agent)

    def revoke():
        setattr(agent, field, False)
        agent.save()

    async def scenario():
        socket = await open_agent_socket(cookie)
        await database_sync_to_async(revoke)()
        await assert_closed(socket)

    run(scenario)


def test_an_unrelated_save_leaves_the_socket_open():
    agent = make_agent("transactions")
    _client, cookie = verified_client(agent)

    def rename():
        agent.first_name = "Lin"
        agent.save()

    async def scenario():
        socket = await open_agent_socket(cookie)
        await database_sync_to_async(rename)()
        await assert_still_open(socket)

    run(scenario)


def test_a_logged_out_session_cannot_reconnect():
    agent = make_agent("transactions")
    client, cookie = verified_client(agent)
    client.post("/admin/logout/")

    async def scenario():
        socket = communicator("/ws/agent/", cookie)
        connected, code = await socket.connect()
        assert not connected
        assert code == 4403

    run(scenario)


# --- the audit log ----------------------------------------------------------------------------


def make_ticket():
    return ticket_create(
        problem_type="abnormal_transaction",
        channel="web",
        subject="My transfer never arrived",
        description="I sent 0.5 ETH this morning and it has not arrived.",
        customer_email="mei@example.com",
        customer_name="Mei",
    )


def test_viewing_a_ticket_and_reassigning_are_audited_without_content(superuser):
    ticket = make_ticket()
    lead = make_agent("transactions", is_lead=True)
    colleague = make_agent("transactions")
    client = Client()
    login_with_second_factor(client, lead)

    assert client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").status_code == 200
    client.post(
        "/admin/tickets/ticket/",
        {"action": "assign_to_agent", "agent": colleague.pk, "_selected_action": [ticket.pk]},
    )

    viewed = AuditEvent.objects.get(action=Action.VIEW_TICKET)
    assert (viewed.actor_id, viewed.ticket_reference) == (lead.pk, ticket.reference)
    assert viewed.ip_address == "127.0.0.1"
    moved = AuditEvent.objects.get(action=Action.REASSIGN)
    assert moved.detail == {"assignee": colleague.pk}
    every_value = str(list(AuditEvent.objects.values()))
    assert "0.5 ETH" not in every_value
    assert "mei@example.com" not in every_value


def test_routing_by_the_system_is_not_an_agent_action():
    make_ticket()

    assert not AuditEvent.objects.filter(action=Action.REASSIGN).exists()


def test_admins_read_the_log_and_nobody_can_change_it(superuser):
    event = audit_record(Action.EXPORT, actor=superuser, target="dashboard backlog_by_age")
    agent = make_agent("transactions")
    admin_client, agent_client = Client(), Client()
    login_with_second_factor(admin_client, superuser)
    login_with_second_factor(agent_client, agent)
    url = "/admin/security/auditevent/"

    assert admin_client.get(url).status_code == 200
    assert admin_client.get(f"{url}{event.pk}/change/").status_code == 200
    assert agent_client.get(url).status_code == 403
    assert admin_client.get(f"{url}add/").status_code == 403
    assert admin_client.post(f"{url}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk, target="dashboard backlog_by_age").exists()


def test_the_database_itself_refuses_to_rewrite_the_log(postgres, superuser):
    event = audit_record(Action.EXPORT, actor=superuser)

    for statement in (
        "UPDATE security_auditevent SET actor_username = 'someone-else' WHERE id = %s",
        "DELETE FROM security_auditevent WHERE id = %s",
    ):
        with pytest.raises(InternalError, match="append-only"), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])

    assert AuditEvent.objects.get(pk=event.pk).actor_username == superuser.username


def test_an_agents_chat_socket_needs_the_second_factor_and_closes_on_logout():
    from agents.models import Team
    from tests.support.factories import make_conversation
    from tickets.models import Ticket

    conversation = make_conversation(visitor_key="visitor-2fa")
    Ticket.objects.filter(pk=conversation.ticket_id).update(
        team=Team.objects.get(code="transactions")
    )
    agent = make_agent("transactions")
    client, cookie = verified_client(agent)
    password_only = Client()
    password_only.force_login(agent)
    bare_cookie = (
        f"{settings.SESSION_COOKIE_NAME}={password_only.cookies[settings.SESSION_COOKIE_NAME].value}"
    ).encode()
    path = f"/ws/chat/{conversation.public_id}/"

    async def scenario():
        refused = communicator(path, bare_cookie)
        connected, code = await refused.connect()
        assert (connected, code) == (False, 4403)

        socket = communicator(path, cookie)
        connected, _ = await socket.connect()
        assert connected
        assert (await socket.receive_json_from(timeout=3))["type"] == "status"
        await database_sync_to_async(client.post)("/admin/logout/")
        await assert_closed(socket)

    run(scenario)


def test_staff_cannot_act_as_the_customer_on_the_chat_pages():
    from tests.support.factories import make_conversation

    conversation = make_conversation(visitor_key="visitor-pages")
    client = Client()
    login_with_second_factor(client, make_agent("transactions"))

    page = client.get(f"/chat/{conversation.public_id}/")
    sent = client.post(f"/chat/{conversation.public_id}/send/", {"body": "hello"})

    assert page.status_code == 404
    assert sent.status_code == 404
