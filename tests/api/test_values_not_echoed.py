"""The API names no value it refused (issue 17): a recovery phrase sent as a problem type, a
status, an evidence choice or an evidence key never comes back in the error."""

import copy
import json

import pytest

from tests.support.api import EMAIL, TRANSACTION, client_with, web_ticket
from tests.support.leaks import phrase_found, recovery_phrase
from tickets.models import Ticket

PHRASE = recovery_phrase()
CHOOSE = {"en": "Choose one of the options offered.", "zh-hans": "请从提供的选项中选择一项。"}
NO_SUCH_FACT = {"en": "This problem type has no such fact.", "zh-hans": "此问题类型没有这项信息。"}
LANGUAGES = ["en", "zh-hans"]

pytestmark = pytest.mark.django_db


def error_of(response) -> dict:
    assert response.status_code == 400
    text = json.dumps(response.json(), ensure_ascii=False)
    assert phrase_found(text, PHRASE) is None, text
    return response.json()["error"]


def transaction(**changes) -> dict:
    data = copy.deepcopy(TRANSACTION)
    data.update(changes)
    return data


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_problem_type_sent_is_not_named(token, language):
    response = client_with(token, language).post(
        "/api/v1/tickets/", transaction(problem_type=PHRASE), format="json"
    )

    assert error_of(response)["fields"] == {"problem_type": [CHOOSE[language]]}


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_evidence_choice_sent_is_not_named(token, language):
    data = transaction()
    data["evidence"]["network"] = PHRASE

    error = error_of(client_with(token, language).post("/api/v1/tickets/", data, format="json"))

    assert error["fields"]["evidence.network"] == [CHOOSE[language]]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("value", ["x", ["a list"]], ids=["text", "list"])
def test_an_evidence_key_sent_is_not_named(token, language, value):
    data = transaction()
    data["evidence"][PHRASE] = value

    error = error_of(client_with(token, language).post("/api/v1/tickets/", data, format="json"))

    assert error["fields"] == {"evidence": [NO_SUCH_FACT[language]]}
    assert not Ticket.objects.exists()


def test_a_known_fact_of_another_problem_type_is_still_named(api):
    data = transaction()
    data["evidence"]["notice_text"] = "A notice"

    error = error_of(api.post("/api/v1/tickets/", data, format="json"))

    assert list(error["fields"]) == ["evidence.notice_text"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_chat_problem_type_sent_is_not_named(token, language):
    data = {"problem_type": PHRASE, "message": "My transfer is stuck.", "name": "Li Wei"}

    response = client_with(token, language).post("/api/v1/chats/", data, format="json")

    assert error_of(response)["fields"] == {"problem_type": [CHOOSE[language]]}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_status_sent_is_not_named(token, language):
    ticket = web_ticket(EMAIL)

    response = client_with(token, language).post(
        f"/api/v1/tickets/{ticket.reference}/status/", {"status": PHRASE}, format="json"
    )

    assert error_of(response)["fields"] == {"status": [CHOOSE[language]]}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_phrase_searched_for_is_refused_and_not_named(api_secret, language):
    response = client_with(None, language).post("/api/v1/faq/search/", {"q": PHRASE})

    error = error_of(response)
    assert error["code"] == "secret_refused"
    assert list(error["fields"]) == ["q"]
