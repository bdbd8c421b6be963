"""The email channel: real .eml files through the parser, the service, the pipe command and the
IMAP task (against a real Dovecot when it is installed), and a reply's round trip."""

import contextlib
import grp
import imaplib
import io
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import OperationalError

from guard.models import GuardEvent
from inbound import parse as inbound
from inbound import services as inbound_services
from inbound import tasks as inbound_tasks
from inbound.models import InboundEmail
from inbound.parse import parse_email, trim_quoted
from inbound.services import inbound_email_receive
from tests.support.guard_corpus import phrase_words
from tests.support.services import service_unavailable
from tickets import services
from tickets.models import Attachment, AuthorKind, Channel, Message, Status, Ticket

EML = Path(__file__).parent / "eml"
LI_REFERENCE = "WS-7K3M9QXD"  # the reference the .eml replies are written against
WANG_REFERENCE = "WS-Q8R2T4VX"
THREAD_ID = "<ticket.ws-7k3m9qxd@wallet.example>"
PHRASE = " ".join(phrase_words("english", 12, 7))  # the phrase in recovery_phrase.eml


def eml(name: str) -> bytes:
    return (EML / name).read_bytes()


@pytest.fixture
def li_ticket(ticket):
    """Li Wei's web ticket (tests/tickets/conftest.py), under the reference the .eml files use."""
    Ticket.objects.filter(pk=ticket.pk).update(reference=LI_REFERENCE)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def wang_ticket(db):
    ticket = services.ticket_create(
        problem_type="topup_withdrawal",
        channel=Channel.WEB,
        subject="提现未到账",
        description="我昨天提现了 2000 元，到现在还没有到银行卡。",
        customer_email="Wang.Fang@example.cn",
        customer_name="王芳",
        language="zh-hans",
    )
    Ticket.objects.filter(pk=ticket.pk).update(reference=WANG_REFERENCE)
    ticket.refresh_from_db()
    return ticket


def receive(raw: bytes, capture, **kwargs):
    """File one message and run what it queued after commit (mail tasks, routing)."""
    with capture(execute=True):
        return inbound_email_receive(raw=raw, **kwargs)


# --- parsing -------------------------------------------------------------------------------


def test_parse_english_reply_keeps_only_the_new_text():
    parsed = parse_email(eml("reply_plain_en.eml"))

    assert parsed.sender_email == "li.wei@example.com"
    assert parsed.sender_name == "Li Wei"
    assert parsed.message_id == "<CAF3xK2-reply-en-0001@mail.example.com>"
    assert THREAD_ID in parsed.thread_ids
    assert parsed.subject_references == (LI_REFERENCE,)
    assert parsed.body.startswith("Thanks for looking.")
    assert parsed.body.endswith("Li")
    assert "wrote:" not in parsed.body
    assert "private-token" not in parsed.body  # the quoted private link is not kept
    assert parsed.automatic == ""


def test_parse_chinese_reply_decodes_gb2312_subject_utf8_name_and_body():
    parsed = parse_email(eml("reply_zh_gb2312.eml"))

    assert parsed.subject == "回复：[WS-Q8R2T4VX] 我们已收到您的请求: 提现未到账"
    assert parsed.sender_name == "王芳"
    assert parsed.subject_references == (WANG_REFERENCE,)
    assert "提现还是显示“处理中”" in parsed.body
    assert "写道" not in parsed.body
    assert "我们正在处理" not in parsed.body
    assert parsed.language == "zh-hans"


def test_parse_html_only_mail_becomes_plain_text_without_markup_or_script():
    parsed = parse_email(eml("html_only.eml"))

    assert parsed.body == (
        "Hello,\n\n"
        "My withdrawal of 2,000 USDT has been pending for two days.\n"
        'The app shows "Processing" & nothing else.\n\n'
        "- Network: TRON\n"
        "- Time: 23 Nov 2026 14:00"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Got it, thanks.\n\n-----Original Message-----\nFrom: Wallet Support\nSent: Tuesday\n"
        "Old text",
        "Got it, thanks.\n\n________________________________\nFrom: Wallet Support "
        "<support@wallet.example>\nSent: Tuesday, 24 November 2026 18:02\nTo: Li Wei\nOld text",
        "Got it, thanks.\n\nFrom: Wallet Support <support@wallet.example>\nDate: Tue, 24 Nov\n"
        "Subject: Re: [WS-7K3M9QXD]\nOld text",
        "Got it, thanks.\n\n发件人: Wallet Support <support@wallet.example>\n"
        "发送时间: 2026年11月24日 18:02\n收件人: 李伟\n主题: [WS-7K3M9QXD]\nOld text",
        "Got it, thanks.\n\n------------------ 原始邮件 ------------------\n"
        '发件人: "Wallet Support"<support@wallet.example>;\nOld text',
        "Got it, thanks.\n\nWallet Support <support@wallet.example> "
        "于2026年11月24日周二 18:02写道：\n> Old text",
        "Got it, thanks.\n\nOn Tue, 24 Nov 2026 at 18:02, Wallet Support <\n"
        "support@wallet.example> wrote:\n> Old text",
        "Got it, thanks.\n-- \nLi Wei\nSent from my phone",
        "On Tue, 24 Nov 2026 at 18:02, Wallet Support wrote:\n> Old text\n\nGot it, thanks.",
    ],
    ids=[
        "original-message",
        "outlook-underscores",
        "outlook-from-block",
        "outlook-chinese",
        "qq-mail",
        "gmail-chinese",
        "wrapped-attribution",
        "signature",
        "bottom-posted",
    ],
)
def test_trim_quoted_history_of_common_clients(text):
    assert trim_quoted(text) == "Got it, thanks."


def test_trim_keeps_a_mail_that_is_only_a_quote():
    assert trim_quoted("> forwarded scam text") == "> forwarded scam text"


# --- filing --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reply_from_the_customer_lands_on_its_ticket(li_ticket, django_capture_on_commit_callbacks):
    result = receive(eml("reply_plain_en.eml"), django_capture_on_commit_callbacks)

    assert result.outcome == InboundEmail.Outcome.REPLY
    assert result.ticket == li_ticket
    reply = li_ticket.messages.order_by("id").last()
    assert reply.author_kind == AuthorKind.CUSTOMER
    assert reply.channel == Channel.EMAIL
    assert reply.body.startswith("Thanks for looking.")
    assert "wrote:" not in reply.body
    record = InboundEmail.objects.get()
    assert (record.ticket, record.ticket_message) == (li_ticket, reply)
    assert record.message_id == "<CAF3xK2-reply-en-0001@mail.example.com>"
    # The support inbox hears of it, as for a reply on the web.
    assert [sent.to for sent in mail.outbox] == [["support@wallet.example"]]
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_chinese_reply_is_matched_by_the_reference_in_its_subject(
    wang_ticket, django_capture_on_commit_callbacks
):
    # The customer typed her address in another case on the web form.
    result = receive(eml("reply_zh_gb2312.eml"), django_capture_on_commit_callbacks)

    assert result.ticket == wang_ticket
    assert "处理中" in wang_ticket.messages.order_by("id").last().body


@pytest.mark.django_db
def test_new_mail_opens_a_ticket_confirmed_in_the_same_thread(
    django_capture_on_commit_callbacks,
):
    result = receive(eml("new_ticket.eml"), django_capture_on_commit_callbacks)

    ticket = result.ticket
    assert result.outcome == InboundEmail.Outcome.NEW_TICKET
    assert ticket.channel == Channel.EMAIL
    assert (ticket.customer_email, ticket.customer_name) == ("sun.li@example.com", "Sun Li")
    assert ticket.subject == "Frozen account after password change"
    assert ticket.language == "en"
    assert ticket.messages.get().body.startswith("My account was frozen")
    ticket.refresh_from_db()
    assert ticket.routed_at is not None  # routed like a web ticket
    [confirmation] = mail.outbox
    assert confirmation.to == ["sun.li@example.com"]
    assert f"[{ticket.reference}]" in confirmation.subject
    assert confirmation.extra_headers["In-Reply-To"] == "<new-ticket-0001@example.com>"
    assert confirmation.extra_headers["Auto-Submitted"] == "auto-generated"


@pytest.mark.django_db
def test_html_only_mail_is_stored_as_text(django_capture_on_commit_callbacks):
    result = receive(eml("html_only.eml"), django_capture_on_commit_callbacks)

    body = result.ticket.messages.get().body
    assert "<" not in body
    assert "alert" not in body
    assert "Your withdrawal request was received" not in body


@pytest.mark.django_db
def test_chinese_mail_opens_a_chinese_ticket(django_capture_on_commit_callbacks):
    raw = eml("reply_zh_gb2312.eml")  # no ticket WS-Q8R2T4VX here: a new request

    result = receive(raw, django_capture_on_commit_callbacks)

    assert result.ticket.language == "zh-hans"
    assert result.ticket.subject == "[WS-Q8R2T4VX] 我们已收到您的请求: 提现未到账"
    assert "我们已收到您的请求" in mail.outbox[0].subject


@pytest.mark.django_db
def test_attachments_pass_the_form_checks_and_a_refused_one_is_listed(
    li_ticket, django_capture_on_commit_callbacks
):
    result = receive(eml("attachments.eml"), django_capture_on_commit_callbacks)

    reply = result.ticket.messages.order_by("id").last()
    [stored] = Attachment.objects.filter(message=reply)
    assert (stored.name, stored.content_type) == ("screenshot.png", "image/png")
    assert stored.file.read().startswith(b"\x89PNG")
    assert reply.body.startswith("Here are the screenshot and the invoice.")
    assert "[File not attached: “invoice.png”: This type of file cannot be attached." in reply.body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("auto_reply.eml", InboundEmail.Outcome.AUTO_REPLY),
        ("bounce.eml", InboundEmail.Outcome.BOUNCE),
    ],
)
def test_auto_replies_and_bounces_are_recorded_but_never_filed(
    li_ticket, django_capture_on_commit_callbacks, name, outcome
):
    messages_before = Message.objects.count()

    result = receive(eml(name), django_capture_on_commit_callbacks)

    assert result.outcome == outcome
    assert result.ticket is None
    assert Message.objects.count() == messages_before
    assert Ticket.objects.count() == 1
    assert InboundEmail.objects.get().outcome == outcome
    assert mail.outbox == []  # nothing answers an automatic mail: no loops


@pytest.mark.django_db
def test_recovery_phrase_is_removed_before_storing_and_the_sender_warned(
    django_capture_on_commit_callbacks,
):
    result = receive(eml("recovery_phrase.eml"), django_capture_on_commit_callbacks)

    body = result.ticket.messages.get().body
    assert PHRASE not in body
    assert not any(word in body.split() for word in ["tide", "fence", "vehicle", "shiver"])
    assert "[removed: recovery phrase]" in body
    assert body.endswith("Please help me get my funds back.")
    event = GuardEvent.objects.get()
    assert (event.source, event.kind, event.ticket) == ("email", "recovery_phrase", result.ticket)
    warning = next(sent for sent in mail.outbox if "removed a secret" in sent.subject)
    assert warning.to == ["zhao.min@example.com"]
    assert "never needs your recovery phrase" in warning.body
    assert all(PHRASE not in sent.body for sent in mail.outbox)


@pytest.mark.django_db
def test_reply_completing_a_phrase_begun_on_the_web_has_its_part_removed(
    li_ticket, django_capture_on_commit_callbacks
):
    words = PHRASE.split()
    services.message_post_customer(ticket=li_ticket, body=" ".join(words[:6]))
    raw = eml("reply_plain_en.eml").replace(
        b"Thanks for looking.", " ".join(words[6:]).encode() + b"\n\nThanks for looking."
    )

    result = receive(raw, django_capture_on_commit_callbacks)

    reply = li_ticket.messages.order_by("id").last()
    assert result.ticket == li_ticket
    assert " ".join(words[6:9]) not in reply.body
    assert reply.body.startswith("[removed: recovery phrase]")
    assert "Thanks for looking." in reply.body
    assert GuardEvent.objects.get().source == "email"


@pytest.mark.django_db
def test_recovery_phrase_warning_is_in_the_senders_language(django_capture_on_commit_callbacks):
    raw = eml("recovery_phrase.eml").replace(
        b"MIME-Version", b"Content-Language: zh-CN\nMIME-Version"
    )

    result = receive(raw, django_capture_on_commit_callbacks)

    assert result.ticket.language == "zh-hans"
    assert PHRASE not in result.ticket.messages.get().body
    _receipt, warning = mail.outbox
    assert warning.to == ["zhao.min@example.com"]
    assert result.ticket.reference in warning.subject
    # The guard's own refusal message, as the forms show it, in Chinese.
    assert "这看起来像是钱包助记词" in warning.body


@pytest.mark.django_db
def test_a_long_mail_is_cut_but_never_keeps_part_of_a_phrase_astride_the_cut(
    django_capture_on_commit_callbacks,
):
    long_mail = EmailMessage()
    long_mail["From"] = "zhao.min@example.com"
    long_mail["Subject"] = "Long story"
    long_mail.set_content("ok " * 3330 + PHRASE + " and more text after it.")  # starts at 9,990

    result = receive(long_mail.as_bytes(), django_capture_on_commit_callbacks)

    body = result.ticket.messages.get().body
    assert "female" not in body
    assert "[removed: recovery phrase]" in body
    assert body.endswith("[The rest of this email was cut: it was longer than 10000 characters.]")


@pytest.mark.django_db
def test_spoofed_sender_on_a_ticket_thread_opens_a_separate_ticket(
    li_ticket, django_capture_on_commit_callbacks
):
    messages_before = list(li_ticket.messages.values_list("pk", flat=True))

    result = receive(eml("spoofed_from.eml"), django_capture_on_commit_callbacks)

    assert list(li_ticket.messages.values_list("pk", flat=True)) == messages_before
    assert result.outcome == InboundEmail.Outcome.NEW_TICKET
    assert result.ticket != li_ticket
    assert result.ticket.customer_email == "li.wei@example.co"
    note = result.ticket.messages.get(is_internal=True)
    assert note.author_kind == AuthorKind.SYSTEM
    assert LI_REFERENCE in note.body
    # Li Wei hears nothing; the new ticket's receipt goes to the address that wrote.
    assert {tuple(sent.to) for sent in mail.outbox} == {("li.wei@example.co",)}


@pytest.mark.django_db
def test_reply_to_a_closed_ticket_opens_a_new_one(li_ticket, django_capture_on_commit_callbacks):
    Ticket.objects.filter(pk=li_ticket.pk).update(status=Status.CLOSED)

    result = receive(eml("reply_plain_en.eml"), django_capture_on_commit_callbacks)

    assert result.outcome == InboundEmail.Outcome.NEW_TICKET
    assert result.ticket.customer_email == li_ticket.customer_email
    assert LI_REFERENCE in result.ticket.messages.get(is_internal=True).body


@pytest.mark.django_db
def test_the_same_message_twice_is_filed_once(django_capture_on_commit_callbacks):
    first = receive(eml("new_ticket.eml"), django_capture_on_commit_callbacks)
    second = receive(eml("new_ticket.eml"), django_capture_on_commit_callbacks)

    assert not first.duplicate
    assert second.duplicate
    assert second.ticket == first.ticket
    assert Ticket.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_message_without_message_id_is_recognised_by_its_bytes(
    django_capture_on_commit_callbacks,
):
    raw = b"\n".join(
        line for line in eml("new_ticket.eml").split(b"\n") if not line.startswith(b"Message-ID")
    )

    receive(raw, django_capture_on_commit_callbacks)
    again = receive(raw, django_capture_on_commit_callbacks)

    assert again.duplicate
    assert Ticket.objects.count() == 1
    assert InboundEmail.objects.get().message_id == ""


@pytest.mark.django_db
def test_our_own_notice_coming_back_to_the_inbox_is_ignored(
    li_ticket, django_capture_on_commit_callbacks
):
    receive(eml("reply_plain_en.eml"), django_capture_on_commit_callbacks)
    [notice] = mail.outbox  # "customer replied", to the support inbox the desk also reads

    result = receive(notice.message().as_bytes(), django_capture_on_commit_callbacks)

    assert result.outcome == InboundEmail.Outcome.OWN
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_too_large_mail_is_refused_and_the_sender_told_why(
    django_capture_on_commit_callbacks,
):
    raw = eml("new_ticket.eml")

    result = receive(raw, django_capture_on_commit_callbacks, size=inbound.MAX_MESSAGE_BYTES + 1)

    assert result.outcome == InboundEmail.Outcome.TOO_LARGE
    assert Ticket.objects.count() == 0
    [notice] = mail.outbox
    assert notice.to == ["sun.li@example.com"]
    assert "larger than 25 MB" in notice.body
    assert notice.extra_headers["In-Reply-To"] == "<new-ticket-0001@example.com>"
    assert notice.extra_headers["Auto-Submitted"] == "auto-replied"


@pytest.mark.django_db
def test_the_too_large_notice_never_quotes_a_secret_from_the_subject(
    django_capture_on_commit_callbacks,
):
    words = phrase_words("english", 12, 3)
    raw = eml("new_ticket.eml").replace(
        b"Subject: ", b"Subject: " + " ".join(words).encode() + b" ", 1
    )

    receive(raw, django_capture_on_commit_callbacks, size=inbound.MAX_MESSAGE_BYTES + 1)

    [notice] = mail.outbox
    assert "[removed: recovery phrase]" in notice.body
    assert " ".join(words[:3]) not in notice.body + notice.subject


# --- the pipe command ----------------------------------------------------------------------


def pipe(monkeypatch, raw: bytes) -> str:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    call_command("receive_email", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_command_files_a_piped_message(monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = pipe(monkeypatch, eml("new_ticket.eml"))

    ticket = Ticket.objects.get()
    assert output.strip() == f"new_ticket {ticket.reference}"
    assert mail.outbox[0].to == ["sun.li@example.com"]


@pytest.mark.django_db
def test_command_reads_an_oversized_message_whole_but_keeps_only_its_start(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(inbound, "MAX_MESSAGE_BYTES", 2000)
    raw = eml("new_ticket.eml") + b"x" * 5_000_000

    with django_capture_on_commit_callbacks(execute=True):
        output = pipe(monkeypatch, raw)

    assert output.startswith("too_large")
    record = InboundEmail.objects.get()
    assert record.size == len(raw)
    assert "2000 MB" not in mail.outbox[0].body  # the notice states the real limit
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("raw", [b"", b"\x00\x01\x02 not an email", b"Subject: no sender\n\nhi"])
def test_command_refuses_what_is_not_an_email_with_ex_dataerr(monkeypatch, raw):
    with pytest.raises(CommandError) as refused:
        pipe(monkeypatch, raw)

    assert refused.value.returncode == 65
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_command_asks_the_mail_server_to_retry_when_the_database_is_down(monkeypatch):
    def database_down(**kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(
        "inbound.management.commands.receive_email.inbound_email_receive", database_down
    )

    with pytest.raises(CommandError) as refused:
        pipe(monkeypatch, eml("new_ticket.eml"))

    assert refused.value.returncode == 75


# --- the round trip ------------------------------------------------------------------------


@pytest.mark.django_db
def test_reply_from_a_mail_client_lands_and_the_answer_comes_back_in_its_thread(
    staff_user, django_capture_on_commit_callbacks
):
    # Given a ticket filed on the web, and the receipt in the customer's mailbox.
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_create(
            problem_type="abnormal_transaction",
            channel=Channel.WEB,
            subject="Transfer not received",
            description="I sent 150 USDT yesterday and it has not arrived at the exchange.",
            customer_email="mei@example.com",
            customer_name="Mei",
        )
    receipt = message_from_bytes(mail.outbox[-1].message().as_bytes(), policy=policy.default)
    assert receipt["Reply-To"] == "support@wallet.example"
    assert receipt["In-Reply-To"] == f"<ticket.{ticket.reference.lower()}@wallet.example>"

    # When the customer presses "Reply" in their mail client...
    reply = EmailMessage()
    reply["From"] = "Mei <mei@example.com>"
    reply["To"] = receipt["Reply-To"]
    reply["Subject"] = "Re: " + receipt["Subject"]
    reply["Message-ID"] = make_msgid(domain="mail.example.com")
    reply["In-Reply-To"] = receipt["Message-ID"]
    reply["References"] = f"{receipt['References']} {receipt['Message-ID']}"
    reply.set_content(
        "The exchange's deposit ID is D-20261124-77.\n\n"
        f"On Tue, 24 Nov 2026 at 18:02, {receipt['From']} wrote:\n"
        + "".join(f"> {line}\n" for line in receipt.get_body(("plain",)).get_content().split("\n"))
    )
    result = receive(reply.as_bytes(), django_capture_on_commit_callbacks)

    # ...it lands on the ticket,
    assert result.ticket == ticket
    assert (
        ticket.messages.order_by("id").last().body == "The exchange's deposit ID is D-20261124-77."
    )

    # and the agent's answer reaches the mail client in the same thread.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post_agent(ticket=ticket, author=staff_user, body="We asked them.")
    [answer] = mail.outbox
    answer = message_from_bytes(answer.message().as_bytes(), policy=policy.default)
    assert answer["To"] == "mei@example.com"
    assert answer["In-Reply-To"] == reply["Message-ID"]
    references = answer["References"].split()
    assert references == [
        f"<ticket.{ticket.reference.lower()}@wallet.example>",
        reply["Message-ID"],
    ]
    assert f"[{ticket.reference}]" in answer["Subject"]
    assert answer["Message-ID"] not in {receipt["Message-ID"], reply["Message-ID"]}
    assert "Auto-Submitted" not in answer  # a person wrote it

    # And the customer's answer to that answer lands too, by its headers alone.
    again = EmailMessage()
    again["From"] = "mei@example.com"
    again["Subject"] = "Thanks"
    again["Message-ID"] = make_msgid(domain="mail.example.com")
    again["In-Reply-To"] = answer["Message-ID"]
    again.set_content("Thank you!")
    assert receive(again.as_bytes(), django_capture_on_commit_callbacks).ticket == ticket


# --- the IMAP task -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int, server: subprocess.Popen) -> bool:
    """Wait up to 10 seconds for the server to accept connections."""
    for _ in range(100):
        if server.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return True
        time.sleep(0.1)
    return False


DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = ws-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 0
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/home/%u
}}
mail_location = maildir:{root}/home/%u/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture
def dovecot():
    """A real Dovecot IMAP server on a free local port, as the current user (or nobody, for
    root), with a throwaway configuration and maildir in a temporary folder."""
    binary = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")
    if binary is None:
        service_unavailable("needs Dovecot: apt-get install dovecot-imapd")
    as_root = os.geteuid() == 0
    # Dovecot will not serve mail as root.
    account = pwd.getpwnam("nobody") if as_root else pwd.getpwuid(os.getuid())
    user, group = account.pw_name, grp.getgrgid(account.pw_gid).gr_name
    root = Path(tempfile.mkdtemp(prefix="ws-dovecot-"))
    root.chmod(0o755)
    for folder in ("home", "state", "run"):
        (root / folder).mkdir()
        if as_root:
            os.chown(root / folder, account.pw_uid, account.pw_gid)
    port, password = _free_port(), secrets.token_hex(12)
    config = root / "dovecot.conf"
    config.write_text(
        DOVECOT_CONF.format(root=root, port=port, user=user, group=group, password=password)
    )
    log = root / "dovecot.log"
    # In the foreground (-F), so the test owns the process and stops it by its id.
    # In a session of its own: no signal Dovecot sends its process group can reach the tests.
    server = subprocess.Popen(
        [binary, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        if not _answers(port, server):
            text = log.read_text()[-500:] if log.exists() else ""
            service_unavailable(f"Dovecot did not start on port {port}: {text}")
        yield {"port": port, "user": "support", "password": password}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mailbox(dovecot, settings):
    settings.IMAP_HOST = "127.0.0.1"
    settings.IMAP_PORT = dovecot["port"]
    settings.IMAP_USE_SSL = False
    settings.IMAP_USER = dovecot["user"]
    settings.IMAP_PASSWORD = dovecot["password"]
    settings.IMAP_FOLDER = "INBOX"
    client = imaplib.IMAP4("127.0.0.1", dovecot["port"], timeout=10)
    client.login(dovecot["user"], dovecot["password"])
    client.select("INBOX")
    yield client
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        client.logout()


def flags(client: imaplib.IMAP4) -> list[bool]:
    """Whether each message of the folder is \\Seen, in order."""
    client.select("INBOX")
    _status, data = client.fetch("1:*", "(FLAGS)")
    return [b"\\Seen" in item for item in data if isinstance(item, bytes)]


@pytest.mark.django_db
def test_fetch_mail_files_the_unseen_messages_of_a_real_imap_mailbox(
    mailbox, li_ticket, django_capture_on_commit_callbacks
):
    # Given a mailbox holding a reply, a new request, a bounce and the same request again.
    for name in ["reply_plain_en.eml", "new_ticket.eml", "bounce.eml", "new_ticket.eml"]:
        mailbox.append("INBOX", None, None, eml(name).replace(b"\n", b"\r\n"))

    with django_capture_on_commit_callbacks(execute=True):
        report = inbound_tasks.fetch_mail.delay().get(disable_sync_subtasks=False)

    assert report == {"fetched": 4, "filed": 3, "duplicates": 1, "failed": 0}
    assert "Thanks for looking." in li_ticket.messages.order_by("id").last().body
    assert Ticket.objects.filter(customer_email="sun.li@example.com").count() == 1
    assert Ticket.objects.count() == 2
    assert flags(mailbox) == [True, True, True, True]

    # A crash after filing but before flagging: the next run only flags.
    mailbox.store("1:*", "-FLAGS", "(\\Seen)")
    with django_capture_on_commit_callbacks(execute=True):
        again = inbound_tasks.fetch_mail.delay().get(disable_sync_subtasks=False)
    assert again == {"fetched": 4, "filed": 0, "duplicates": 4, "failed": 0}
    assert Ticket.objects.count() == 2
    assert li_ticket.messages.count() == 2


@pytest.mark.django_db
def test_fetch_mail_leaves_a_message_it_could_not_file_unseen(
    mailbox, monkeypatch, django_capture_on_commit_callbacks
):
    mailbox.append("INBOX", None, None, eml("new_ticket.eml"))
    mailbox.append("INBOX", None, None, eml("html_only.eml"))
    real = inbound_services.inbound_email_receive

    def broken_on_html(*, raw, size):
        if b"text/html" in raw:
            raise ValueError("a parser bug")
        return real(raw=raw, size=size)

    monkeypatch.setattr(inbound_services, "inbound_email_receive", broken_on_html)

    with django_capture_on_commit_callbacks(execute=True):
        report = inbound_services.mailbox_fetch()

    assert report["filed"] == 1
    assert report["failed"] == 1
    assert flags(mailbox) == [True, False]


@pytest.mark.django_db
def test_fetch_mail_refuses_a_wrong_password_without_retrying(mailbox, settings):
    settings.IMAP_PASSWORD = "wrong"

    with pytest.raises(inbound_services.MailboxError):
        inbound_services.mailbox_fetch()


def test_fetch_mail_is_off_without_an_imap_host(settings):
    settings.IMAP_HOST = ""

    # disable_sync_subtasks: a real worker started earlier in this process (the Celery tests)
    # leaves Celery believing every .get() runs inside a task.
    assert inbound_tasks.fetch_mail.apply().get(disable_sync_subtasks=False) == {}


def test_fetch_mail_raises_a_network_error_so_celery_retries(settings):
    settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_USE_SSL = "127.0.0.1", _free_port(), False

    with pytest.raises(ConnectionRefusedError):
        inbound_services.mailbox_fetch()
    assert OSError in inbound_tasks.fetch_mail.autoretry_for


def _nested_multipart(depth: int) -> bytes:
    head = b"From: zhao.min@example.com\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
    parts = b""
    for level in range(depth):
        parts += (
            f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'.encode()
        )
    return head + parts + b"Content-Type: text/plain\r\n\r\nhello\r\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [
        b"From: zhao.min@example.com\r\nSubject: =?utf-8?B?a?=\r\n\r\nMy transfer is late.\r\n",
        b"From: zhao.min@example.com\r\nSubject: hi\r\nContent-Type: text/plain; "
        b'charset="utf-8\x00"\r\n\r\nMy transfer is late.\r\n',
        _nested_multipart(1000),
    ],
    ids=["bad-base64-subject", "nul-in-charset", "deep-nesting"],
)
def test_malformed_mail_is_recorded_unreadable_once_and_never_retried(
    raw, django_capture_on_commit_callbacks
):
    first = receive(raw, django_capture_on_commit_callbacks)
    second = receive(raw, django_capture_on_commit_callbacks)

    assert first.outcome in {InboundEmail.Outcome.UNREADABLE, InboundEmail.Outcome.NEW_TICKET}
    assert second.duplicate
    assert InboundEmail.objects.count() == 1


@pytest.mark.django_db
def test_new_tickets_from_one_sender_are_limited(settings, django_capture_on_commit_callbacks):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "contact": {"address": "50/10m", "session": "3/10m"},
    }

    def mail_from(sender: str, number: int) -> bytes:
        message = EmailMessage()
        message["From"] = sender
        message["Subject"] = f"Question {number}"
        message["Message-ID"] = make_msgid(domain="example.com")
        message.set_content("My withdrawal has been pending since yesterday, please check it.")
        return message.as_bytes()

    outcomes = [
        receive(mail_from("victim@example.com", n), django_capture_on_commit_callbacks).outcome
        for n in range(4)
    ]
    other = receive(mail_from("someone@example.com", 9), django_capture_on_commit_callbacks)

    assert outcomes == [InboundEmail.Outcome.NEW_TICKET] * 3 + [InboundEmail.Outcome.RATE_LIMITED]
    assert other.outcome == InboundEmail.Outcome.NEW_TICKET
    assert Ticket.objects.filter(customer_email="victim@example.com").count() == 3
