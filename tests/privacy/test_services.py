"""Customers' data: who sees it, export and deletion on request, and logs without content."""

import json
import logging
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
import time_machine
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from agents.models import Team
from guard.detect import SecretKind
from guard.models import GuardEvent
from guard.refusals import Refusal
from guard.services import refusals_record
from livechat import services as chat_services
from livechat.models import Conversation
from privacy import links, selectors
from privacy import services as privacy
from privacy.models import DataRequest
from security.models import AuditEvent
from tests.support.auth import login_with_second_factor
from tests.support.factories import (
    VALID_BTC_TXID,
    contact_data,
    make_agent,
    make_data_request,
    make_subscription,
    make_ticket,
    png_upload,
)
from tests.support.guard_corpus import phrase_words
from tickets import services
from tickets.links import ticket_token
from tickets.models import Attachment, Message, ProblemType, Status, Ticket
from tickets.validators import check_attachment
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db

PRIVACY = reverse("privacy:request")
REQUESTS = reverse("admin:privacy_datarequest_changelist")
MEI = "mei.chen@example.com"
LI = "li.wei@example.com"
SAME_ANSWER = "If we hold data for this address, we have sent it a confirmation link."
LINK = re.compile(r"https?://\S+?/privacy/(?:confirm|export)/[^/\s\"<>]+/")


# --- builders ------------------------------------------------------------------------------


def file_ticket(email: str = MEI, *, team: str = "transactions", body: str = "") -> Ticket:
    """A web ticket with evidence and a screenshot, in a team's queue."""
    upload = png_upload("receipt.png")
    ticket = services.ticket_create(
        problem_type=ProblemType.ABNORMAL_TRANSACTION,
        channel="web",
        subject="Transfer not received",
        description=body or "My 150.5 BTC transfer to the exchange has not arrived since Monday.",
        customer_email=email,
        customer_name="Mei Chen",
        wallet_account_id="WA-5521",
        evidence={"asset": "BTC", "amount": "150.5", "status_shown": "completed_not_received"},
        transaction_hash=VALID_BTC_TXID,
        transaction_network="bitcoin",
        attachments=[services.NewAttachment(upload=upload, checked=check_attachment(upload))],
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        team=Team.objects.get(code=team), needs_routing=False
    )
    ticket.refresh_from_db()
    return ticket


def open_chat(email: str, agent, *, visitor_key: str = "visitor-1") -> Conversation:
    """A finished live chat: a customer line, an agent's answer, a rating."""
    ticket = services.ticket_create(
        problem_type=ProblemType.TOPUP_WITHDRAWAL,
        channel="chat",
        subject="Live chat: withdrawal pending",
        description="My withdrawal to a bank card is pending since 9:00.",
        customer_email=email,
        customer_name="Mei",
    )
    conversation = Conversation.objects.create(
        ticket=ticket,
        visitor_key=visitor_key,
        visitor_name="Mei",
        problem_type="topup_withdrawal",
        agent=agent,
        status=Conversation.Status.ACTIVE,
    )
    chat_services.chat_message_post(
        conversation=conversation, sender="customer", body="Any news on it?", client_id=uuid4()
    )
    chat_services.chat_message_post(
        conversation=conversation,
        sender="agent",
        body="It went through at 10:02.",
        client_id=uuid4(),
        author=agent,
    )
    closed = chat_services.conversation_close(public_id=str(conversation.public_id))
    return chat_services.conversation_rate(conversation=closed, rating=4)


@pytest.fixture
def agent(db):
    return make_agent("transactions")


@pytest.fixture
def mei(agent):
    """Mei's data: a web ticket (evidence, file, an agent reply, a note, a rating), a second
    ticket written with her address in capitals, a chat, and a refusal before any ticket."""
    ticket = file_ticket(MEI)
    services.message_post_agent(ticket=ticket, author=agent, body="We found your transfer.")
    services.message_post_agent(
        ticket=ticket,
        author=agent,
        body="INTERNAL: check the exchange's hot wallet",
        is_internal=True,
    )
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent)
    services.ticket_rate(ticket=ticket, rating=5, comment="Fast and kind.")
    second = file_ticket(MEI.upper(), body="A second transfer, on Tuesday, has not arrived either.")
    chat = open_chat(MEI, agent)
    refusals_record(
        [Refusal("description", SecretKind.RECOVERY_PHRASE)],
        source=GuardEvent.Source.CONTACT_FORM,
        customer_email=MEI,
    )
    return {"ticket": ticket, "second": second, "chat": chat}


@pytest.fixture
def admin_client(superuser):
    client = Client()
    login_with_second_factor(client, superuser)
    return client


def ask(client, capture, email: str, kind: str, **headers):
    with capture(execute=True):
        return client.post(PRIVACY, {"email": email, "kind": kind}, **headers)


def link_path(message) -> str:
    return urlsplit(LINK.search(message.body).group(0)).path


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def confirm(client, capture, message) -> DataRequest:
    with capture(execute=True):
        response = client.post(link_path(message))
    assert response.status_code == 302
    return DataRequest.objects.get(
        pk=signing.loads(token_of(link_path(message)), salt=links.CONFIRM_SALT)["r"]
    )


def carry_out(admin_client, capture, data_request: DataRequest):
    with capture(execute=True):
        return admin_client.post(
            REQUESTS,
            {"action": "carry_out", "_selected_action": [data_request.pk], "confirmed": "yes"},
        )


def confirmed_request(client, capture, email: str, kind: str) -> DataRequest:
    ask(client, capture, email, kind)
    return confirm(client, capture, mail.outbox[-1])


def make_superuser():
    return get_user_model().objects.create_superuser(
        username="privacy-admin", email="privacy-admin@example.com", password="a-long-password"
    )


def stored(name: str, settings) -> Path:
    return Path(settings.MEDIA_ROOT) / name


# --- asking and confirming -----------------------------------------------------------------


def test_a_request_mails_a_confirmation_link_in_the_customers_language(
    client, mei, django_capture_on_commit_callbacks
):
    response = ask(
        client,
        django_capture_on_commit_callbacks,
        "Mei.Chen@Example.com",
        "export",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [MEI]
    with translation.override("zh-hans"):
        assert message.subject == gettext("Confirm your request for a copy of your data")
    data_request = DataRequest.objects.get()
    assert (data_request.kind, data_request.status) == ("export", "awaiting")
    assert data_request.language == "zh-hans"
    # The link names the request, never the address.
    payload = signing.loads(token_of(link_path(message)), salt=links.CONFIRM_SALT)
    assert set(payload) == {"r", "c"}
    assert MEI not in link_path(message)


def test_the_answer_is_the_same_whether_or_not_we_hold_the_address(
    client, mei, django_capture_on_commit_callbacks
):
    known = ask(client, django_capture_on_commit_callbacks, MEI, "delete")
    known_page = client.get(known.url).content.decode()
    unknown = ask(client, django_capture_on_commit_callbacks, "nobody@example.com", "delete")
    unknown_page = client.get(unknown.url).content.decode()

    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert SAME_ANSWER in known_page
    assert SAME_ANSWER in unknown_page
    assert len(mail.outbox) == 1  # to Mei only
    assert DataRequest.objects.count() == 1


def test_bad_input_is_refused_with_a_clear_error_and_nothing_sent(
    client, mei, django_capture_on_commit_callbacks
):
    response = ask(client, django_capture_on_commit_callbacks, "not-an-address", "delete")

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert mail.outbox == []
    assert not DataRequest.objects.exists()


def test_asking_twice_and_confirming_twice_make_one_request(
    client, mei, django_capture_on_commit_callbacks
):
    ask(client, django_capture_on_commit_callbacks, MEI, "export")
    ask(client, django_capture_on_commit_callbacks, MEI, "export")
    first, second = mail.outbox

    confirmed = confirm(client, django_capture_on_commit_callbacks, first)
    again = confirm(client, django_capture_on_commit_callbacks, second)
    confirm(client, django_capture_on_commit_callbacks, first)

    assert confirmed.pk == again.pk
    assert DataRequest.objects.count() == 1
    assert DataRequest.objects.get().status == "confirmed"


def test_opening_the_link_confirms_nothing_until_the_button_is_pressed(
    client, mei, django_capture_on_commit_callbacks
):
    ask(client, django_capture_on_commit_callbacks, MEI, "delete")
    path = link_path(mail.outbox[0])

    page = client.get(path)

    assert page.status_code == 200
    assert "Confirm the deletion" in page.content.decode()
    assert DataRequest.objects.get().status == "awaiting"
    client.post(path)
    assert DataRequest.objects.get().status == "confirmed"
    assert "Request confirmed" in client.get(path).content.decode()


def test_expired_and_forged_confirmation_links_are_refused(
    client, mei, django_capture_on_commit_callbacks
):
    ask(client, django_capture_on_commit_callbacks, MEI, "delete")
    path = link_path(mail.outbox[0])
    token = token_of(path)
    forged = path.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    other_key = signing.dumps(
        {"r": DataRequest.objects.get().pk, "c": "0" * 20}, salt=links.CONFIRM_SALT
    )

    assert client.post(forged).status_code == 404
    assert client.post(reverse("privacy:confirm", args=[other_key])).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        expired = client.post(path)
    assert expired.status_code == 410
    assert "This link has expired" in expired.content.decode()
    assert DataRequest.objects.get().status == "awaiting"


def test_unconfirmed_requests_are_forgotten_once_their_link_expires(
    client, mei, django_capture_on_commit_callbacks
):
    ask(client, django_capture_on_commit_callbacks, MEI, "delete")

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        ask(client, django_capture_on_commit_callbacks, "nobody@example.com", "export")

    assert not DataRequest.objects.exists()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_page_speaks_both_languages(client, language):
    page = client.get(PRIVACY, HTTP_ACCEPT_LANGUAGE=language)

    content = page.content.decode()
    assert page["Content-Language"] == language
    assert f'<html lang="{language}"' in content
    with translation.override(language):
        assert gettext("Your data") in content
        assert gettext("Send the confirmation link") in content
        # A string the catalogue already translates: the page really is in that language.
        footer = gettext(
            "We will never ask for your recovery phrase, private key, password or 2FA code."
        )
    assert footer in content


def test_every_page_links_to_the_privacy_page_from_its_footer(client):
    assert f'href="{PRIVACY}"' in client.get(reverse("home")).content.decode()


# --- carrying out: export ------------------------------------------------------------------


def test_an_export_holds_everything_of_the_customer_and_nothing_else(
    client, admin_client, superuser, mei, settings, django_capture_on_commit_callbacks
):
    others = file_ticket(LI, body="Li's own transfer from the card has not arrived at all.")
    data_request = confirmed_request(client, django_capture_on_commit_callbacks, MEI, "export")
    mail.outbox.clear()

    response = carry_out(admin_client, django_capture_on_commit_callbacks, data_request)

    assert response.status_code == 302
    data_request.refresh_from_db()
    assert data_request.status == "done"
    assert data_request.carried_out_by == superuser
    assert data_request.export_file.name.startswith("exports/")
    path = stored(data_request.export_file.name, settings)
    assert path.is_file()
    assert not str(path).startswith(str(settings.STATIC_ROOT))
    [message] = mail.outbox
    assert message.to == [MEI]
    download = client.get(link_path(message))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "application/json"
    assert download["X-Content-Type-Options"] == "nosniff"
    export = json.loads(b"".join(download.streaming_content))

    tickets = {ticket["reference"]: ticket for ticket in export["tickets"]}
    assert set(tickets) == {
        mei["ticket"].reference,
        mei["second"].reference,
        mei["chat"].ticket.reference,
    }
    assert others.reference not in json.dumps(export)
    web = tickets[mei["ticket"].reference]
    assert web["contact"] == {"email": MEI, "name": "Mei Chen", "wallet_account_id": "WA-5521"}
    assert web["evidence"]["amount"] == "150.5"
    assert web["transaction"] == {"hash": VALID_BTC_TXID, "network": "bitcoin"}
    assert web["rating"] == {"score": 5, "comment": "Fast and kind."}
    texts = [message["text"] for message in web["messages"]]
    assert "We found your transfer." in texts
    assert not any("INTERNAL" in text for text in texts)
    [screenshot] = web["messages"][0]["attachments"]
    assert screenshot["name"] == "receipt.png"
    assert screenshot["size"] == Attachment.objects.filter(message__ticket=mei["ticket"]).get().size
    chat = tickets[mei["chat"].ticket.reference]["chat"]
    assert chat["rating"] == 4
    assert [line["text"] for line in chat["transcript"]][:3] == [
        "My withdrawal to a bank card is pending since 9:00.",
        "Any news on it?",
        "It went through at 10:02.",
    ]
    assert [refusal["kind"] for refusal in export["refused_secrets"]] == ["recovery_phrase"]

    audit = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert audit.actor_id == superuser.pk
    assert audit.detail["tickets"] == 3
    assert audit.detail["attachments"] == 2
    assert "found your transfer" not in json.dumps(audit.detail)
    assert MEI not in json.dumps(audit.detail) + audit.target


def test_export_links_expire_and_open_only_their_own_export(
    client, admin_client, mei, settings, django_capture_on_commit_callbacks
):
    file_ticket(LI)
    mine = confirmed_request(client, django_capture_on_commit_callbacks, MEI, "export")
    theirs = confirmed_request(client, django_capture_on_commit_callbacks, LI, "export")
    mail.outbox.clear()
    carry_out(admin_client, django_capture_on_commit_callbacks, mine)
    carry_out(admin_client, django_capture_on_commit_callbacks, theirs)
    my_link = next(link_path(message) for message in mail.outbox if message.to == [MEI])
    mine.refresh_from_db()
    # A token naming Li's request with the fingerprint of Mei's file, as a forger would try.
    crossed = signing.dumps(
        {"r": theirs.pk, "f": links._fingerprint(mine.export_file.name)},
        salt=links.EXPORT_SALT,
    )
    token = token_of(my_link)

    assert client.get(reverse("privacy:export", args=[crossed])).status_code == 404
    assert client.get(my_link.replace(token, token[:-3] + "xyz")).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=7, hours=1)):
        assert client.get(my_link).status_code == 410
    mine_export = json.loads(b"".join(client.get(my_link).streaming_content))
    assert {ticket["contact"]["email"].lower() for ticket in mine_export["tickets"]} == {MEI}


def test_expired_export_files_are_purged(
    client, admin_client, mei, settings, django_capture_on_commit_callbacks
):
    data_request = confirmed_request(client, django_capture_on_commit_callbacks, MEI, "export")
    carry_out(admin_client, django_capture_on_commit_callbacks, data_request)
    data_request.refresh_from_db()
    path = stored(data_request.export_file.name, settings)

    assert privacy.data_exports_purge_expired() == 0
    assert privacy.data_exports_purge_expired(now=timezone.now() + timedelta(days=9)) == 1
    assert not path.exists()
    data_request.refresh_from_db()
    assert data_request.export_file.name == ""


# --- carrying out: deletion ----------------------------------------------------------------


def test_a_deletion_removes_the_customers_rows_and_files_and_nothing_else(
    client, admin_client, superuser, mei, settings, django_capture_on_commit_callbacks
):
    others = file_ticket(LI, body="Li's own transfer from the card has not arrived at all.")
    others_file = stored(Attachment.objects.get(message__ticket=others).file.name, settings)
    mei_files = [
        stored(name, settings)
        for name in Attachment.objects.filter(
            message__ticket__customer_email__iexact=MEI
        ).values_list("file", flat=True)
    ]
    earlier_export = confirmed_request(client, django_capture_on_commit_callbacks, MEI, "export")
    carry_out(admin_client, django_capture_on_commit_callbacks, earlier_export)
    earlier_export.refresh_from_db()
    export_file = stored(earlier_export.export_file.name, settings)
    LogEntry.objects.create(
        user=superuser,
        content_type=ContentType.objects.get_for_model(Ticket),
        object_id=str(mei["ticket"].pk),
        object_repr=str(mei["ticket"]),
        action_flag=CHANGE,
    )
    deletion = confirmed_request(client, django_capture_on_commit_callbacks, MEI, "delete")

    response = carry_out(admin_client, django_capture_on_commit_callbacks, deletion)

    assert response.status_code == 302
    assert not Ticket.objects.filter(customer_email__iexact=MEI).exists()
    assert not Message.objects.exclude(ticket=others).exists()
    assert not Conversation.objects.exists()
    assert not GuardEvent.objects.exists()
    assert not LogEntry.objects.exists()
    assert all(not path.exists() for path in [*mei_files, export_file])
    assert len(mei_files) == 2
    # Nothing of Li's is touched.
    assert Ticket.objects.get() == others
    assert others.messages.count() == 1
    assert others_file.is_file()
    # The requests keep a hash of the address, nothing more.
    for data_request in DataRequest.objects.all():
        assert data_request.email == ""
        assert data_request.export_file.name == ""
        assert data_request.email_hash == selectors.email_fingerprint(MEI)
    deletion.refresh_from_db()
    assert deletion.status == "done"
    assert deletion.summary["tickets"] == 3
    audit = AuditEvent.objects.get(action=AuditEvent.Action.DELETE)
    assert audit.actor_id == superuser.pk
    assert audit.detail == {"data_request": deletion.pk, **deletion.summary}
    assert audit.detail["attachments"] == 2
    assert audit.detail["chats"] == 1
    assert audit.detail["refused_secrets"] == 1
    assert audit.detail["exports"] == 1
    # The admin still finds the request by the address, through its hash.
    found = admin_client.get(REQUESTS, {"q": "Mei.Chen@example.com"})
    assert [row.pk for row in found.context["cl"].result_list] == sorted(
        [deletion.pk, earlier_export.pk], reverse=True
    )
    assert MEI not in found.content.decode()


def test_a_deletion_that_fails_keeps_every_row_and_file(
    client, superuser, mei, settings, monkeypatch, django_capture_on_commit_callbacks
):
    files = [stored(a.file.name, settings) for a in Attachment.objects.all()]
    deletion = confirmed_request(client, django_capture_on_commit_callbacks, MEI, "delete")

    def audit_fails(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(privacy, "audit_record", audit_fails)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        privacy.data_request_carry_out(data_request=deletion, actor=superuser)

    assert Ticket.objects.filter(customer_email__iexact=MEI).count() == 3
    assert all(path.is_file() for path in files)
    deletion.refresh_from_db()
    assert (deletion.status, deletion.email) == ("confirmed", MEI)


def test_only_a_confirmed_request_is_carried_out(
    client, admin_client, mei, django_capture_on_commit_callbacks
):
    ask(client, django_capture_on_commit_callbacks, MEI, "delete")
    data_request = DataRequest.objects.get()

    response = carry_out(admin_client, django_capture_on_commit_callbacks, data_request)

    assert (
        "Only a confirmed request can be carried out"
        in admin_client.get(response.url).content.decode()
    )
    assert Ticket.objects.filter(customer_email__iexact=MEI).count() == 3
    data_request.refresh_from_db()
    assert data_request.status == "awaiting"


def test_a_refused_request_is_closed_and_can_no_longer_be_carried_out(
    client, admin_client, mei, django_capture_on_commit_callbacks
):
    data_request = confirmed_request(client, django_capture_on_commit_callbacks, MEI, "delete")
    link = link_path(mail.outbox[-1])

    admin_client.post(REQUESTS, {"action": "refuse", "_selected_action": [data_request.pk]})
    carry_out(admin_client, django_capture_on_commit_callbacks, data_request)

    data_request.refresh_from_db()
    assert data_request.status == "refused"
    assert Ticket.objects.filter(customer_email__iexact=MEI).count() == 3
    assert "Request closed" in client.get(link).content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DELETE).exists()


def test_staff_who_are_not_superusers_cannot_see_data_requests(
    client, mei, django_capture_on_commit_callbacks
):
    data_request = confirmed_request(client, django_capture_on_commit_callbacks, MEI, "delete")
    lead = make_agent("transactions", is_lead=True)
    staff = Client()
    login_with_second_factor(staff, lead)

    assert staff.get(REQUESTS).status_code == 403
    change = reverse("admin:privacy_datarequest_change", args=[data_request.pk])
    assert staff.get(change).status_code in (302, 403)
    assert (
        staff.post(
            REQUESTS,
            {"action": "carry_out", "_selected_action": [data_request.pk], "confirmed": "yes"},
        ).status_code
        == 403
    )
    assert "datarequest" not in staff.get(reverse("admin:index")).content.decode()
    assert Ticket.objects.filter(customer_email__iexact=MEI).count() == 3

    superuser = Client()
    login_with_second_factor(superuser, make_superuser())
    assert superuser.get(REQUESTS).status_code == 200
    page = superuser.get(change)
    assert page.status_code == 200
    assert MEI in page.content.decode()


# --- who sees a ticket's contact details and evidence --------------------------------------


def test_contact_details_and_evidence_only_reach_agents_who_may_see_the_ticket():
    ticket = file_ticket(MEI, team="payments")
    attachment = Attachment.objects.get(message__ticket=ticket)
    urls = {
        "change": reverse("admin:tickets_ticket_change", args=[ticket.pk]),
        "history": reverse("admin:tickets_ticket_history", args=[ticket.pk]),
        "attachment": reverse("admin:tickets_ticket_attachment", args=[ticket.pk, attachment.pk]),
        "viewers": reverse("admin:tickets_ticket_viewers", args=[ticket.pk]),
    }
    listing = reverse("admin:tickets_ticket_changelist")
    outsider, insider = Client(), Client()
    login_with_second_factor(outsider, make_agent("transactions"))
    login_with_second_factor(insider, make_agent("payments"))

    for name, url in urls.items():
        response = outsider.get(url, follow=True)
        assert response.status_code in (200, 403, 404), name
        assert response.redirect_chain or response.status_code in (403, 404), name
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert MEI.encode() not in content, name
        assert b"150.5" not in content, name
    everything = outsider.get(listing, {"view": "all"})
    assert ticket.reference not in everything.content.decode()
    assert MEI not in everything.content.decode()
    # Searching by address, reference or hash (the search box echoes the term) finds nothing.
    for term in (MEI, ticket.reference, VALID_BTC_TXID):
        found = outsider.get(listing, {"view": "all", "q": term})
        assert list(found.context["cl"].result_list) == [], term

    page = insider.get(urls["change"]).content.decode()
    assert MEI in page
    assert "150.5" in page
    assert insider.get(urls["attachment"]).status_code == 200
    assert insider.get(urls["viewers"]).status_code == 200
    assert ticket.reference in insider.get(listing, {"q": MEI}).content.decode()


# --- logs ----------------------------------------------------------------------------------


@pytest.fixture
def every_log_record():
    """Every record of every logger, at DEBUG, including loggers that do not propagate."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(level=logging.DEBUG)
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if logger is logging.getLogger() or not logger.propagate:
            logger.addHandler(handler)
    yield records
    for logger, level, disabled in saved:
        logger.setLevel(level)
        logger.disabled = disabled
        logger.removeHandler(handler)


def test_logs_carry_ticket_references_never_bodies_addresses_or_secrets(
    client, superuser, monkeypatch, every_log_record, django_capture_on_commit_callbacks
):
    body = "Zebra-quartz-7731 says my withdrawal of 0.42 BTC vanished after maintenance."
    email = "quartz.zebra.7731@example.com"
    phrase = " ".join(phrase_words("english", 12, seed=7731))
    monkeypatch.setattr("livechat.selectors.live_chat_available", lambda: True)
    capture = django_capture_on_commit_callbacks
    contact = f"{reverse('tickets:contact')}?type=abnormal_transaction"
    form = contact_data(ProblemType.ABNORMAL_TRANSACTION, email=email, description=body)

    with capture(execute=True):
        refused = client.post(contact, {**form, "description": f"{body} {phrase}"})
        filed = client.post(contact, {**form, "attachments": [png_upload()]})
    ticket = Ticket.objects.get(customer_email=email, channel="web")
    token = ticket_token(ticket)
    with capture(execute=True):
        client.post(reverse("tickets:reply", args=[token]), {"body": f"Also: {body}"})
        client.post(reverse("tickets:reply", args=[token]), {"body": phrase})
        started = client.post(
            reverse("livechat:start"),
            {
                "name": "Quartz",
                "email": email,
                "problem_type": "abnormal_transaction",
                "message": f"Chat: {body}",
            },
        )
    conversation = Conversation.objects.get(ticket__customer_email=email)
    with capture(execute=True):
        chat_services.chat_message_post(
            conversation=conversation, sender="customer", body=f"Again {body}", client_id=uuid4()
        )
        client.post(reverse("livechat:send", args=[conversation.public_id]), {"body": phrase})
    staff = Client()
    login_with_second_factor(staff, superuser)
    change = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    page = staff.get(change)
    with capture(execute=True):
        answered = staff.post(
            change,
            {
                "_reply": "1",
                "body": "Zebra-quartz-7731 is resolved: the withdrawal is back in your wallet.",
                "seen_up_to": page.context["workspace"].seen_up_to,
                "client_id": str(page.context["reply_key"]),
            },
        )
    ask(client, capture, email, "export")

    assert (refused.status_code, filed.status_code, started.status_code) == (400, 302, 302)
    assert answered.status_code == 302
    assert ticket.messages.filter(author_kind="agent").exists()
    assert GuardEvent.objects.count() == 3
    assert len(mail.outbox) >= 4
    logged = [
        " ".join([record.getMessage(), repr(record.args), record.exc_text or ""])
        for record in every_log_record
    ]
    for secret in ("Zebra-quartz-7731", "zebra-quartz-7731", email, phrase, phrase[:30]):
        leaks = [line for line in logged if secret.lower() in line.lower()]
        assert leaks == [], secret
    assert any(ticket.reference in line for line in logged)


@pytest.mark.django_db
def test_data_deletion_counts_every_refused_secret_it_deletes(superuser):
    """Refusals on the customer's tickets go with them (cascade), refusals before any ticket by
    address: the summary and the audit count both."""
    email = "mei.chen@example.com"
    ticket = make_ticket(customer_email=email)
    for field in ("description", "subject"):
        GuardEvent.objects.create(
            ticket=ticket, source="contact_form", kind="recovery_phrase", field=field
        )
    GuardEvent.objects.create(
        customer_email=email, source="chat", kind="private_key", field="message"
    )
    deletion = make_data_request(
        DataRequest.Kind.DELETE, email=email, status=DataRequest.State.CONFIRMED
    )

    privacy.data_request_carry_out(data_request=deletion, actor=superuser)

    deletion.refresh_from_db()
    assert deletion.summary["refused_secrets"] == 3
    assert deletion.summary["tickets"] == 1
    assert not GuardEvent.objects.exists()


def test_a_deletion_asks_for_confirmation_before_anything_is_removed(
    client, admin_client, mei, django_capture_on_commit_callbacks
):
    deletion = confirmed_request(client, django_capture_on_commit_callbacks, MEI, "delete")

    with django_capture_on_commit_callbacks(execute=True):
        asked = admin_client.post(
            REQUESTS, {"action": "carry_out", "_selected_action": [deletion.pk]}
        )

    assert asked.status_code == 200
    page = asked.content.decode()
    assert "cannot be undone" in page
    assert 'name="confirmed" value="yes"' in page
    assert MEI in page
    deletion.refresh_from_db()
    assert deletion.status != "done"
    assert Ticket.objects.filter(customer_email__iexact=MEI).exists()

    carry_out(admin_client, django_capture_on_commit_callbacks, deletion)

    deletion.refresh_from_db()
    assert deletion.status == "done"
    assert not Ticket.objects.filter(customer_email__iexact=MEI).exists()


@pytest.mark.django_db
def test_a_deletion_removes_the_event_webhook_deliveries_of_the_customers_tickets(superuser):
    """A payload with text holds what the customer wrote: it goes with their tickets."""
    email = "mei.chen@example.com"
    make_subscription("https://hooks.wallet.example/desk", include_text=True)
    ticket = make_ticket(customer_email=email)
    other = make_ticket(customer_email="someone.else@example.com")
    assert Delivery.objects.count() == 2  # ticket.created of each
    deletion = make_data_request(
        DataRequest.Kind.DELETE, email=email, status=DataRequest.State.CONFIRMED
    )

    privacy.data_request_carry_out(data_request=deletion, actor=superuser)

    deletion.refresh_from_db()
    assert deletion.summary["event_webhook_deliveries"] == 1
    [kept] = Delivery.objects.all()
    assert kept.payload["data"]["ticket"]["reference"] == other.reference
    assert ticket.reference not in str(list(Delivery.objects.values_list("payload", flat=True)))
