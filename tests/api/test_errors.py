"""A service's refusal, whatever its domain, is answered in one place: a 409 in the API's error
shape with the service's own code and message."""

import pytest

from common.errors import DeskError
from livechat import services as chat_services
from livechat.error_codes import ChatErrorCode
from livechat.services import ChatError
from tests.support.api import web_ticket
from tests.support.channels import ALWAYS_OPEN
from tests.support.factories import make_agent
from tickets import services as ticket_services
from tickets.error_codes import TicketErrorCode
from tickets.models import Status
from tickets.services import TicketError

pytestmark = pytest.mark.django_db


def refusing(error: DeskError):
    def service(**kwargs):
        raise error

    return service


@pytest.mark.parametrize(
    "error",
    [
        DeskError("Not today.", code="made_up_for_the_test"),
        TicketError("That ticket moved on.", code=TicketErrorCode.INVALID_TRANSITION),
    ],
    ids=["desk-error", "ticket-error"],
)
def test_a_service_refusal_is_a_409_with_its_code_and_message(api, monkeypatch, error):
    ticket = web_ticket()
    monkeypatch.setattr(ticket_services, "ticket_change_status", refusing(error))

    response = api.post(
        f"/api/v1/tickets/{ticket.reference}/status/", {"status": "closed"}, format="json"
    )

    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": str(error.code), "message": error.message}}


def test_a_chat_service_refusal_is_mapped_the_same_way(api, monkeypatch, settings):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    make_agent("payments", console=True)
    error = ChatError("No chats for now.", code=ChatErrorCode.NOT_ALLOWED)
    monkeypatch.setattr(chat_services, "conversation_start", refusing(error))
    data = {"problem_type": "topup_withdrawal", "name": "Li Wei", "message": "Still pending."}

    response = api.post("/api/v1/chats/", data, format="json")

    assert response.status_code == 409
    assert response.json() == {"error": {"code": "not_allowed", "message": "No chats for now."}}


@pytest.mark.parametrize(
    ("tail", "data", "code"),
    [
        ("messages/", {"body": "Hello?"}, "closed"),
        ("rating/", {"rating": 4, "comment": ""}, "not_resolved"),
    ],
)
def test_the_ticket_services_codes_reach_the_app_as_they_are(api, tail, data, code):
    ticket = web_ticket()
    if code == "closed":
        ticket_services.ticket_change_status(ticket=ticket, status=Status.CLOSED)

    response = api.post(f"/api/v1/tickets/{ticket.reference}/{tail}", data, format="json")

    assert response.status_code == 409
    error = response.json()["error"]
    assert set(error) == {"code", "message"}
    assert error["code"] == code
    assert error["message"]


def test_an_error_that_is_not_a_refusal_is_still_a_server_error(api, monkeypatch):
    ticket = web_ticket()

    def broken(**kwargs):
        raise RuntimeError("a bug, not a refusal")

    monkeypatch.setattr(ticket_services, "ticket_change_status", broken)

    with pytest.raises(RuntimeError):
        api.post(f"/api/v1/tickets/{ticket.reference}/status/", {"status": "closed"}, format="json")
