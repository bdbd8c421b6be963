"""No page sends back a value it refused (issue 17): a recovery phrase pasted into a choice, or
into the email box of the chat or privacy forms, never comes back in the answer, and the error
is still clear in the visitor's language."""

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.support.factories import contact_data, make_ticket
from tests.support.leaks import phrase_found, recovery_phrase
from tickets.links import ticket_token
from tickets.models import Status, Ticket

PHRASE = recovery_phrase()
CHOOSE = {"en": "Choose one of the options offered.", "zh-hans": "请从提供的选项中选择一项。"}
REFUSED = {"en": "This looks like a wallet recovery phrase", "zh-hans": "助记词"}
LANGUAGES = ["en", "zh-hans"]
CHAT_START = {
    "name": "Mei",
    "email": "mei@example.com",
    "problem_type": "abnormal_transaction",
    "message": "My USDT transfer shows completed but the exchange did not receive it.",
}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_rate_limits():
    cache.clear()


def assert_not_echoed(response) -> str:
    if response["Content-Type"].startswith("application/json"):
        body = json.dumps(response.json(), ensure_ascii=False)
    else:
        body = response.content.decode()
    assert phrase_found(body, PHRASE) is None, phrase_found(body, PHRASE)
    return body


@pytest.mark.parametrize("language", LANGUAGES)
def test_chat_start_page_names_no_problem_type_sent(client, language):
    data = {**CHAT_START, "problem_type": PHRASE}

    response = client.post(reverse("livechat:start"), data, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    assert CHOOSE[language] in assert_not_echoed(response)


@pytest.mark.parametrize("language", LANGUAGES)
def test_chat_start_json_names_no_problem_type_sent(client, language):
    response = client.post(
        reverse("livechat:start"),
        json.dumps({**CHAT_START, "problem_type": PHRASE}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    assert_not_echoed(response)
    assert response.json()["error"]["fields"]["problem_type"] == [CHOOSE[language]]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_chat_start_refuses_a_phrase_in_the_email_box_and_blanks_it(client, language, as_json):
    data = {**CHAT_START, "email": PHRASE}
    if as_json:
        response = client.post(
            reverse("livechat:start"),
            json.dumps(data),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
    else:
        response = client.post(reverse("livechat:start"), data, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    assert REFUSED[language] in assert_not_echoed(response)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("field", ["network", "status_shown", "email"])
def test_contact_form_sends_back_no_refused_choice_or_email(client, language, field):
    data = {**contact_data("abnormal_transaction"), field: PHRASE}

    response = client.post(
        f"{reverse('tickets:contact')}?type=abnormal_transaction",
        data,
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    body = assert_not_echoed(response)
    assert (CHOOSE if field != "email" else REFUSED)[language] in body
    assert not Ticket.objects.exists()


def test_contact_form_with_an_unknown_problem_type_offers_the_types_again(client):
    data = {**contact_data("abnormal_transaction"), "problem_type": PHRASE}

    response = client.post(reverse("tickets:contact"), data)

    assert 'href="?type=abnormal_transaction"' in assert_not_echoed(response)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_ticket_rating_names_no_rating_sent(client, language):
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.RESOLVED)

    response = client.post(
        reverse("tickets:rate", args=[ticket_token(ticket)]),
        {"rating": PHRASE},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    assert CHOOSE[language] in assert_not_echoed(response)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("field", "message"),
    [("kind", CHOOSE), ("email", REFUSED)],
)
def test_privacy_request_sends_back_no_refused_value(client, language, field, message):
    data = {"email": "li.wei@example.com", "kind": "export", field: PHRASE}

    response = client.post(reverse("privacy:request"), data, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    assert message[language] in assert_not_echoed(response)
