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


@pytest.mark.parametrize(
    ("language", "signature"),
    [("en", "{name} (agent code {code})"), ("zh-hans", "{name}（客服工号 {code}）")],
)
def test_agent_reply_and_chat_transcript_are_signed_by_the_agent(language, signature):
    from tests.support.factories import make_agent

    agent = make_agent("general")
    profile = agent.agent_profile
    ticket = make_ticket(language=language)
    reply = Message.objects.create(
        ticket=ticket, author_kind=AuthorKind.AGENT, author=agent, body="Found it.", channel="chat"
    )
    mail.outbox.clear()

    emails.send_agent_reply(reply)
    emails.send_chat_transcript(ticket)

    expected = signature.format(name=profile.display_name, code=profile.agent_code)
    for sent in mail.outbox:
        assert expected in sent.body
        assert expected in sent.alternatives[0][0]


def _escalated(problem_type: str, priority: str):
    from django.utils import timezone

    from agents.models import Team
    from tickets import sla
    from tickets.models import Ticket

    ticket = make_ticket(problem_type=problem_type)
    team = Team.objects.get(code="account-security")
    Ticket.objects.filter(pk=ticket.pk).update(team=team, priority=priority, needs_routing=False)
    sla.ticket_escalate(ticket_id=ticket.pk, now=timezone.now(), reason="first response")
    ticket.refresh_from_db()
    return ticket


@pytest.mark.parametrize(("priority", "raised"), [("high", True), ("urgent", False)])
def test_the_escalation_mail_says_escalated_to_only_when_the_priority_rose(
    settings, priority, raised
):
    settings.LANGUAGE_CODE = "en"
    ticket = _escalated(ProblemType.ACCOUNT_SECURITY, priority)
    mail.outbox.clear()

    emails.send_escalation(ticket)

    body = mail.outbox[0].body
    assert ("escalated to Urgent priority" in body) is raised
    assert ("it already had Urgent priority" in body) is not raised
    assert "Account security · Account security" not in body
    assert "Account security" in body


def test_the_escalation_mail_names_a_team_named_otherwise_beside_the_problem_type(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    ticket = _escalated(ProblemType.ACCOUNT_FROZEN, "normal")
    mail.outbox.clear()

    emails.send_escalation(ticket)

    assert "冻结" in mail.outbox[0].body
    assert "账户安全组" in mail.outbox[0].body
