"""The subjects of the desk's mail (issue 17): the ticket's reference and problem type, never the
customer's words (a chat ticket's subject is its first message)."""

import pytest
from django.core import mail

from tests.support.factories import make_ticket
from tickets import emails
from tickets.models import AuthorKind, Message, ProblemType

TYPED = "Live chat: my words are soda perfect empty rural stay oyster"
LABELS = {"en": "Account security", "zh-hans": "账户安全"}

pytestmark = pytest.mark.django_db


def customer_message(ticket) -> Message:
    return Message.objects.create(ticket=ticket, author_kind=AuthorKind.CUSTOMER, body="Thanks")


SENDERS = {
    "confirmation": emails.send_confirmation,
    "agent reply": lambda ticket: emails.send_agent_reply(customer_message(ticket)),
    "customer reply notice": lambda ticket: emails.send_customer_reply_notice(
        customer_message(ticket)
    ),
    "escalation": emails.send_escalation,
    "chat unanswered": lambda ticket: emails.send_escalation(ticket, template="chat_unanswered"),
    "chat transcript": emails.send_chat_transcript,
    "guard warning": lambda ticket: emails.send_guard_warning(ticket, ["recovery_phrase"]),
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("sender", SENDERS)
def test_no_subject_quotes_what_the_customer_typed(settings, language, sender):
    settings.LANGUAGE_CODE = language  # the support inbox's and the team leads' language
    ticket = make_ticket(
        problem_type=ProblemType.ACCOUNT_SECURITY, subject=TYPED, language=language
    )
    mail.outbox.clear()

    SENDERS[sender](ticket)

    assert mail.outbox
    for sent in mail.outbox:
        assert "soda perfect" not in sent.subject
        assert sent.subject.startswith(f"[{ticket.reference}] ")
    if sender not in {"chat transcript", "guard warning"}:
        assert all(sent.subject.endswith(LABELS[language]) for sent in mail.outbox)
