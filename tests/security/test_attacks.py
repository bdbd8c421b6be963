"""The attacks of the security issue, each one a test that must fail to get through.

Stored script in every customer field, in chat and in file names; cross-site request forgery on
every form; someone else's ticket, chat or attachment; an agent outside the ticket's team; a
WebSocket from a foreign origin; disguised executables and hostile file names.
"""

import json
import re
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4

import pytest
import time_machine
from django import forms
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter, PathConverter, SlugConverter, UUIDConverter
from django.utils import timezone
from django.utils.html import escape
from rest_framework.permissions import AllowAny

from agents.models import Team
from faq.models import ArticleVote
from livechat.models import Conversation
from tests.support import guard_corpus as corpus
from tests.support.attacks import (
    XSS_EMAIL,
    assert_escaped,
    assert_no_raw_script,
    media_files,
    png_bytes,
    row_counts,
    xss,
)
from tests.support.auth import login_with_second_factor
from tests.support.channels import ALWAYS_OPEN
from tests.support.chat import communicator, new_client_id, run, staff_cookie, visitor_cookie
from tests.support.factories import (
    contact_data,
    make_agent,
    make_article,
    make_category,
    make_conversation,
    png_upload,
)
from tickets import services
from tickets.forms import ContactForm
from tickets.links import ticket_private_url, ticket_token
from tickets.models import Attachment, Message, ProblemType, Status, Ticket
from tickets.services import NewAttachment, ticket_email_verify
from tickets.validators import check_attachment

pytestmark = pytest.mark.usefixtures("no_rate_limits")

CONTACT = reverse("tickets:contact")
# Fields whose value is refused unless well-formed: they are never stored with a script in them,
# and come back escaped on the refused form (test_script_in_refused_fields_comes_back_escaped).
VALIDATED_TEXT_FIELDS = {"wallet_account_id", "transaction_hash"}


def free_text_fields(problem_type: str) -> list[str]:
    """Every field of the contact form where a customer types free text, evidence included."""
    form = ContactForm(problem_type=problem_type)
    return [
        name
        for name, field in form.fields.items()
        if type(field) is forms.CharField and name not in VALIDATED_TEXT_FIELDS
    ]


def superuser_client(superuser) -> Client:
    client = Client()
    login_with_second_factor(client, superuser)
    return client


def html_alternatives(message) -> list[str]:
    return [content for content, mimetype in message.alternatives if mimetype == "text/html"]


def multipart(fields: dict[str, str], files: list[tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart body as a hostile client sends it: the file name is not cut by the test
    client, and `filename*` (RFC 5987) lets it hold quotes, slashes and control characters."""
    boundary = f"attack{uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for filename, content, content_type in files:
        header = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
            f"filename*=UTF-8''{quote(filename, safe='')}\r\nContent-Type: {content_type}\r\n\r\n"
        )
        parts.append(header.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def file_ticket(client: Client, capture, problem_type: str = ProblemType.OTHER, **overrides):
    data = contact_data(problem_type, submission_key=str(uuid4()), **overrides)
    with capture(execute=True):
        response = client.post(f"{CONTACT}?type={problem_type}", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Ticket.objects.get(submission_key=data["submission_key"]), response


# --- 1. Stored script: shown escaped on every page, in the admin and in every email ---------


@pytest.mark.django_db
@pytest.mark.parametrize("problem_type", ProblemType.values)
def test_script_in_every_contact_field_is_shown_escaped_everywhere(
    problem_type, superuser, django_capture_on_commit_callbacks
):
    # Given a customer who typed a script into every free-text field, their email included
    customer = Client()
    typed = {name: xss(name) for name in free_text_fields(problem_type)}
    assert {"name", "subject", "description"} <= typed.keys()

    # When the ticket is filed (and its confirmation mailed)
    ticket, response = file_ticket(
        customer,
        django_capture_on_commit_callbacks,
        problem_type,
        email=XSS_EMAIL,
        **typed,
    )

    # Then it is stored as typed, and every page and email shows it as text
    assert ticket.subject == typed["subject"]
    assert ticket.customer_email == XSS_EMAIL
    evidence = {name: text for name, text in typed.items() if name in ticket.evidence}
    assert_no_raw_script(customer.get(response["Location"]).content.decode(), where="submitted")
    page = customer.get(ticket_private_url(ticket)).content.decode()
    assert_escaped(
        page, [typed["subject"], typed["description"], *evidence.values()], where="ticket page"
    )
    admin = superuser_client(superuser)
    listing = admin.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    assert_escaped(listing, [typed["subject"]], where="admin list")
    change = admin.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert change.status_code == 200
    assert_escaped(
        change.content.decode(),
        [XSS_EMAIL, typed["name"], typed["subject"], typed["description"], *evidence.values()],
        where="admin ticket page",
    )
    dashboard = admin.get(reverse("dashboard:index"))
    assert dashboard.status_code == 200
    assert_no_raw_script(dashboard.content.decode(), where="dashboard")
    (confirmation,) = mail.outbox
    assert confirmation.to == [XSS_EMAIL]
    # The address was only typed: the receipt quotes nothing the sender chose (no mail relay).
    (html,) = html_alternatives(confirmation)
    for text in typed.values():
        assert text not in confirmation.body
        assert text not in html
    assert_no_raw_script(html, where="confirmation email (HTML)")


@pytest.mark.django_db
@pytest.mark.parametrize("problem_type", ProblemType.values)
def test_script_in_refused_fields_comes_back_escaped(problem_type):
    # Given a script in every field, the chosen ones and hidden ones too
    data = {name: xss(name) for name in ContactForm(problem_type=problem_type).fields} | {
        "problem_type": problem_type,
        "email": XSS_EMAIL,
    }
    del data["attachments"]

    # When the form is refused and shown again
    response = Client().post(f"{CONTACT}?type={problem_type}", data)

    # Then every value and error message is shown as text, and nothing was saved
    assert response.status_code == 400
    assert_escaped(response.content.decode(), [xss("subject")], where="refused contact form")
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_script_in_a_reply_and_a_file_name_is_shown_escaped_everywhere(
    superuser, django_capture_on_commit_callbacks
):
    # Given a ticket, and a reply whose text and file name carry a script
    customer = Client()
    ticket, _ = file_ticket(customer, django_capture_on_commit_callbacks, name=xss("name"))
    mail.outbox.clear()
    token = ticket_token(ticket)
    file_name = '"><img src=x onerror=alert("file")><svg onload=alert(1)>.png'
    body, content_type = multipart({"body": xss("reply")}, [(file_name, png_bytes(), "image/png")])

    # When the customer sends it
    with django_capture_on_commit_callbacks(execute=True):
        response = customer.post(
            reverse("tickets:reply", args=[token]), body, content_type=content_type
        )

    # Then the text is kept as typed, the file name is cleaned, and both are shown as text
    assert response.status_code == 302
    reply = ticket.messages.latest("id")
    assert reply.body == xss("reply")
    stored_name = reply.attachments.get().name
    assert stored_name.endswith(".png")
    assert not set(stored_name) & set("<>\"'&/\\")
    page = customer.get(ticket_private_url(ticket)).content.decode()
    assert_escaped(page, [xss("reply"), stored_name], where="ticket page")
    admin = superuser_client(superuser).get(
        reverse("admin:tickets_ticket_change", args=[ticket.pk])
    )
    assert_escaped(
        admin.content.decode(), [xss("reply"), xss("name"), stored_name], where="admin ticket"
    )
    (notice,) = mail.outbox
    assert xss("reply") in notice.body
    (html,) = html_alternatives(notice)
    assert_escaped(html, [xss("reply")], where="customer reply email (HTML)")


@pytest.mark.django_db
def test_script_in_a_rating_comment_is_shown_escaped_in_the_admin(
    superuser, django_capture_on_commit_callbacks
):
    customer = Client()
    ticket, _ = file_ticket(customer, django_capture_on_commit_callbacks)
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED)

    response = customer.post(
        reverse("tickets:rate", args=[ticket_token(ticket)]),
        {"rating": "1", "comment": xss("comment")},
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.satisfaction_comment == xss("comment")
    admin = superuser_client(superuser).get(
        reverse("admin:tickets_ticket_change", args=[ticket.pk])
    )
    assert_escaped(admin.content.decode(), [xss("comment")], where="admin satisfaction")
    assert_no_raw_script(customer.get(ticket_private_url(ticket)).content.decode(), where="page")


@pytest.mark.django_db
def test_script_in_the_admin_search_box_comes_back_escaped(superuser):
    admin = superuser_client(superuser)

    response = admin.get(reverse("admin:tickets_ticket_changelist"), {"q": xss("q")})

    assert response.status_code == 200
    assert_escaped(response.content.decode(), [xss("q")], where="admin search")


@pytest.mark.django_db
def test_script_in_an_email_address_is_escaped_in_the_refusal_log(superuser):
    # Given a refused recovery phrase from an address that carries a script
    phrase = " ".join(corpus.phrase_words("english", 12, 1))
    data = contact_data(ProblemType.OTHER, email=XSS_EMAIL, description=phrase)
    assert Client().post(f"{CONTACT}?type=other", data).status_code == 400

    # Then the admin's list of refusals shows the address as text
    response = superuser_client(superuser).get(reverse("admin:guard_guardevent_changelist"))
    assert_escaped(response.content.decode(), [XSS_EMAIL], where="guard events")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_script_in_a_chat_is_shown_escaped_everywhere(settings, superuser):
    # Given live chat open and a visitor who types a script as name and in every message
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    agent = make_agent("transactions", console=True)
    visitor = Client()
    start = visitor.post(
        reverse("livechat:start"),
        {
            "name": xss("n"),
            "email": XSS_EMAIL,
            "problem_type": "abnormal_transaction",
            "message": xss("start"),
        },
    )
    assert start.status_code == 302, start.content.decode()[:2000]
    conversation = Conversation.objects.get()
    cookie = f"{settings.SESSION_COOKIE_NAME}={visitor.cookies[settings.SESSION_COOKIE_NAME].value}"

    agent_cookie = staff_cookie(agent)

    async def chat():
        socket = communicator(f"/ws/chat/{conversation.public_id}/", cookie.encode())
        assert (await socket.connect())[0]
        await socket.receive_json_from()
        await socket.send_json_to(
            {"type": "message", "body": xss("socket"), "client_id": new_client_id()}
        )
        while (event := await socket.receive_json_from(timeout=3))["type"] != "message":
            pass
        await socket.disconnect()
        console = communicator("/ws/agent/", agent_cookie)
        assert (await console.connect())[0]
        queue = await console.receive_json_from()
        await console.disconnect()
        return event, queue

    # When it goes over the socket, and over the page without JavaScript
    echoed, queue = run(chat)
    sent = visitor.post(
        reverse("livechat:send", args=[conversation.public_id]), {"body": xss("form")}
    )
    assert sent.status_code == 302

    # Then JSON carries the text as data (scripts render it with textContent) ...
    assert echoed["body"] == xss("socket")
    assert queue["conversations"][0]["name"] == xss("n")
    assert queue["conversations"][0]["first_message"] == xss("start")
    # ... and every page and the transcript show it as text
    texts = [xss("start"), xss("socket"), xss("form")]
    page = visitor.get(reverse("livechat:conversation", args=[conversation.public_id]))
    assert_escaped(page.content.decode(), texts, where="conversation page")
    console = Client()
    login_with_second_factor(console, agent)
    assert_no_raw_script(
        console.get(reverse("livechat:agent_console")).content.decode(), where="agent console"
    )
    admin = superuser_client(superuser)
    change = admin.get(reverse("admin:tickets_ticket_change", args=[conversation.ticket_id]))
    assert_escaped(change.content.decode(), [xss("n"), *texts], where="admin chat ticket")
    listing = admin.get(reverse("admin:tickets_ticket_changelist"), {"view": "all"})
    assert_no_raw_script(listing.content.decode(), where="admin list")
    mail.outbox.clear()
    # Once the address is proved, the transcript carries the visitor's own lines, escaped.
    ticket_email_verify(ticket=conversation.ticket)
    visitor.post(reverse("livechat:transcript", args=[conversation.public_id]))
    (transcript,) = mail.outbox
    (html,) = html_alternatives(transcript)
    assert_escaped(html, texts, where="chat transcript (HTML)")


# Ways of putting markup into a page from script. Where one is ever needed, list the file and
# the reason here; none is today: every script sets text with textContent.
UNSAFE_SCRIPT_SINKS = re.compile(
    r"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|createContextualFragment"
    r"|\beval\(|new Function\(|DOMParser|\.srcdoc|jQuery|\$\("
)
ALLOWED_SCRIPT_SINKS: dict[str, str] = {
    # The queue refreshing itself (issue 20) parses the list page the server rendered for this
    # agent, same origin and escaped by Django, exactly what a reload would show; the parsed
    # document runs no script and its rows are imported as nodes. No customer text from JSON or
    # a socket ever reaches it.
    "admin-workspace.js": "DOMParser over the admin list page the server rendered",
}


def test_scripts_insert_customer_text_as_text_never_as_markup():
    found = {
        f"{path.name}:{number}": line.strip()
        for path in sorted((Path(settings.BASE_DIR) / "static" / "js").glob("*.js"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if UNSAFE_SCRIPT_SINKS.search(line) and path.name not in ALLOWED_SCRIPT_SINKS
    }

    assert found == {}


# Where HTML templates turn escaping off, and why each is safe. A new one must be reviewed and
# added here. Plain-text templates (.txt: mail bodies and subject lines) are never HTML.
UNESCAPED_IN_HTML_TEMPLATES = {
    # Article Markdown sanitised to an allow-list, search snippets escaped (faq.text).
    "faq/article.html": "|safe",
    "faq/search.html": "|safe",
}


def test_html_templates_turn_escaping_off_only_where_reviewed():
    root = Path(settings.BASE_DIR) / "templates"
    unescaped = {}
    for path in sorted(root.rglob("*.html")):
        text = path.read_text()
        for marker in ("autoescape off", "|safe", "|safeseq"):
            if marker in text:
                unescaped[path.relative_to(root).as_posix()] = marker

    assert unescaped == UNESCAPED_IN_HTML_TEMPLATES


# --- 2. Cross-site request forgery: every POST needs the token ------------------------------

# Only the in-app API's views take a POST without the CSRF token: they authenticate with a bearer
# token in a header, which another site cannot make a browser send, never with the session cookie
# (test_views_exempt_from_csrf_take_no_cookie_credentials holds them to that). The desk takes no
# inbound webhooks: they go out, signed, to the wallet's backend.
HEADER_ONLY_AUTHENTICATION = {"api.authentication.AppTokenAuthentication"}
SAMPLE_BY_CONVERTER = {
    IntConverter: "1",
    UUIDConverter: "00000000-0000-4000-8000-000000000000",
    SlugConverter: "x",
    PathConverter: "1",
}
SAMPLE_BY_NAME = {"app_label": "tickets", "url": "x"}


def every_url_pattern(patterns=None, prefix: str = ""):
    """(route, pattern) for every view of the URLconf, however deeply included."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from every_url_pattern(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def sample_path(route: str, pattern: URLPattern) -> str:
    """A concrete path that resolves to this pattern's view."""
    converters = getattr(pattern.pattern, "converters", {})

    def value(name: str) -> str:
        converter = converters.get(name)
        return SAMPLE_BY_NAME.get(name) or SAMPLE_BY_CONVERTER.get(type(converter), "x")

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value(m.group(1)), route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\Z", "")


def view_name(pattern: URLPattern) -> str:
    callback = pattern.callback
    return f"{callback.__module__}.{getattr(callback, '__qualname__', callback.__class__.__name__)}"


def test_csrf_protection_is_on_for_the_whole_site():
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE


def exempt_from_csrf(pattern: URLPattern) -> bool:
    return getattr(pattern.callback, "csrf_exempt", False)


def test_views_exempt_from_csrf_take_no_cookie_credentials():
    for route, pattern in every_url_pattern():
        if not exempt_from_csrf(pattern):
            continue
        view_class = getattr(pattern.callback, "cls", None)  # a Django REST framework view
        assert view_class is not None, f"{route} ({view_name(pattern)}) is exempt from CSRF"
        authenticators = {
            f"{authenticator.__module__}.{authenticator.__qualname__}"
            for authenticator in view_class.authentication_classes
        }
        assert authenticators <= HEADER_ONLY_AUTHENTICATION, f"{route}: {authenticators}"


@pytest.mark.django_db
def test_the_api_does_not_act_on_the_session_cookie(settings, superuser, victim_ticket):
    # Given the API switched on, and a browser signed in to the admin and holding a chat session
    settings.API_TOKEN_SECRET = "s" * 40
    browser = Client(enforce_csrf_checks=True)
    login_with_second_factor(browser, superuser)
    before = row_counts()
    posted = 0

    # When another site posts to each API address through it (no bearer token: it has none)
    for route, pattern in every_url_pattern():
        view_class = getattr(pattern.callback, "cls", None)
        if not exempt_from_csrf(pattern) or not hasattr(view_class, "post"):
            continue
        path = sample_path(route, pattern).replace("/x/", f"/{victim_ticket.reference}/")
        response = browser.post(
            path, {"body": "Forged", "rating": 1}, content_type="application/json"
        )
        posted += 1

        # Then nothing is done for the cookie's owner (the help centre's search is public and
        # changes nothing: it answers anyone alike, here refusing a request without a query)
        if AllowAny in view_class.permission_classes:
            assert response.status_code == 400, f"{path} answered {response.status_code}"
            continue
        assert response.status_code in {401, 403}, f"{path} answered {response.status_code}"

    assert row_counts() == before
    assert posted == len(
        [p for _r, p in every_url_pattern() if hasattr(getattr(p.callback, "cls", None), "post")]
    )


@pytest.mark.django_db
def test_every_url_refuses_a_post_without_the_csrf_token(superuser):
    # Given a signed-in administrator's browser, which a forged form would post from
    attacker = Client(enforce_csrf_checks=True)
    login_with_second_factor(attacker, superuser)
    checked = []

    # When a page elsewhere posts to each URL of the site without the token
    for route, pattern in every_url_pattern():
        if exempt_from_csrf(pattern):
            continue  # the API's, held to header-only credentials above
        path = sample_path(route, pattern)
        assert resolve(path).func == pattern.callback, f"{route}: sample {path} resolves elsewhere"
        response = attacker.post(path, {"field": "value"})
        if path == "/healthz":
            # Answered before the host and CSRF checks, for probes (HealthCheckMiddleware);
            # GET only, it changes nothing
            assert response.status_code == 405
            continue

        # Then every one of them is refused before the view runs
        assert response.status_code == 403, f"{path} answered {response.status_code}"
        assert "This form has expired" in response.content.decode(), path
        checked.append(path)

    assert len(checked) > 40


def with_token(client: Client) -> dict:
    """What a genuine page of the site sends: the CSRF cookie and the same token in the form."""
    token = secrets.token_hex(16)
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    return {"csrfmiddlewaretoken": token}


@pytest.fixture
def forms_under_attack(db, settings, superuser):
    """Each form of the site: its URL, valid data, and how to tell it did something."""
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    make_agent("transactions", console=True)
    ticket = services.ticket_create(
        problem_type="other",
        channel="web",
        subject="A ticket to act on",
        description="A customer's ticket, open, with a private link to act on it.",
        customer_email="li.wei@example.com",
    )
    resolved = services.ticket_create(
        problem_type="other",
        channel="web",
        subject="A resolved ticket",
        description="A resolved ticket, ready for the customer's rating of our help.",
        customer_email="li.wei@example.com",
    )
    services.ticket_change_status(ticket=resolved, status=Status.RESOLVED)
    conversation = make_conversation("forged-visitor")
    closed_chat = make_conversation("forged-visitor")
    Conversation.objects.filter(pk=closed_chat.pk).update(status=Conversation.Status.CLOSED)
    article = make_article(make_category())

    def status(pk):
        return Ticket.objects.get(pk=pk).status

    return {
        "contact": (
            f"{CONTACT}?type=other",
            contact_data("other", submission_key=str(uuid4())),
            lambda: Ticket.objects.count(),
        ),
        "reply": (
            reverse("tickets:reply", args=[ticket_token(ticket)]),
            {"body": "Any news on this?"},
            lambda: Message.objects.count(),
        ),
        "close": (
            reverse("tickets:change_status", args=[ticket_token(ticket), "close"]),
            {},
            lambda: status(ticket.pk),
        ),
        "rate": (
            reverse("tickets:rate", args=[ticket_token(resolved)]),
            {"rating": "5", "comment": "Quick help"},
            lambda: Ticket.objects.get(pk=resolved.pk).satisfaction_rating,
        ),
        "new-link": (
            reverse("tickets:new_link"),
            {"reference": ticket.reference, "email": "li.wei@example.com"},
            lambda: len(mail.outbox),
        ),
        "chat-start": (
            reverse("livechat:start"),
            {
                "name": "Mei",
                "email": "mei@example.com",
                "problem_type": "other",
                "message": "Is anyone there to help me with my account?",
            },
            lambda: Conversation.objects.count(),
        ),
        "chat-send": (
            reverse("livechat:send", args=[conversation.public_id]),
            {"body": "Hello?"},
            lambda: Message.objects.count(),
        ),
        "chat-end": (
            reverse("livechat:end", args=[conversation.public_id]),
            {},
            lambda: Conversation.objects.get(pk=conversation.pk).status,
        ),
        "chat-rate": (
            reverse("livechat:rate", args=[closed_chat.public_id]),
            {"rating": "4"},
            lambda: Conversation.objects.get(pk=closed_chat.pk).rating,
        ),
        "chat-transcript": (
            reverse("livechat:transcript", args=[conversation.public_id]),
            {},
            lambda: len(mail.outbox),
        ),
        "faq-vote": (
            reverse("faq:vote", args=[article.category.slug, article.slug]),
            {"helpful": "yes"},
            lambda: ArticleVote.objects.count(),
        ),
        "set-language": (
            reverse("set_language"),
            {"language": "zh-hans", "next": "/"},
            None,
        ),
        "admin-reply": (
            reverse("admin:tickets_ticket_change", args=[ticket.pk]),
            {
                "_reply": "1",
                "body": "We are looking at it now.",
                "seen_up_to": str(ticket.messages.latest("id").pk),
                "client_id": str(uuid4()),
            },
            lambda: Message.objects.count(),
        ),
        "admin-action": (
            reverse("admin:tickets_ticket_changelist"),
            {"action": "mark_resolved", "_selected_action": [str(ticket.pk)], "index": "0"},
            lambda: status(ticket.pk),
        ),
    }


FORGED_FORMS = [
    "contact",
    "reply",
    "close",
    "rate",
    "new-link",
    "chat-start",
    "chat-send",
    "chat-end",
    "chat-rate",
    "chat-transcript",
    "faq-vote",
    "set-language",
    "admin-reply",
    "admin-action",
]


@pytest.mark.parametrize("form_name", FORGED_FORMS)
def test_forged_post_is_refused_and_changes_nothing(
    form_name, forms_under_attack, superuser, django_capture_on_commit_callbacks
):
    # Given the victim's browser: their chat session, and a signed-in agent
    url, data, effect = forms_under_attack[form_name]
    browser = Client(enforce_csrf_checks=True)
    session = browser.session
    session["chat_visitor"] = "forged-visitor"
    session.save()
    browser.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    if form_name.startswith("admin"):
        login_with_second_factor(browser, superuser)
    before = effect() if effect else None

    # When another site posts the form through it, without the token
    with django_capture_on_commit_callbacks(execute=True):
        forged = browser.post(url, data)

    # Then it is refused and nothing changed; the same post from the site's own page works
    assert forged.status_code == 403
    assert "This form has expired" in forged.content.decode()
    if effect:
        assert effect() == before
    else:
        assert settings.LANGUAGE_COOKIE_NAME not in forged.cookies
    with django_capture_on_commit_callbacks(execute=True):
        genuine = browser.post(url, {**data, **with_token(browser)})
    assert genuine.status_code in {200, 201, 202, 302}, genuine.content.decode()[:2000]
    if effect:
        assert effect() != before, f"{form_name}: the genuine post changed nothing either"
    else:
        assert genuine.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


@pytest.mark.django_db
def test_forged_json_chat_start_is_refused(settings):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    make_agent("transactions", console=True)
    payload = {
        "name": "Mei",
        "email": "mei@example.com",
        "problem_type": "other",
        "message": "Is anyone there to help me with my account?",
    }
    before = row_counts()

    response = Client(enforce_csrf_checks=True).post(
        reverse("livechat:start"), json.dumps(payload), content_type="application/json"
    )

    assert response.status_code == 403
    assert row_counts() == before


# --- 3. Someone else's ticket, chat or attachment -------------------------------------------


@pytest.fixture
def victim_ticket(db):
    """Another customer's ticket, with a file on its first message."""
    upload = png_upload("id.png")
    return services.ticket_create(
        problem_type="account_security",
        channel="web",
        subject="Victim's private problem",
        description="Someone logged into my account from an address I do not recognise.",
        customer_email="victim@example.com",
        attachments=[NewAttachment(upload, check_attachment(upload))],
    )


@pytest.mark.django_db
def test_another_customers_ticket_by_reference_shows_nothing(victim_ticket, django_user_model):
    owner = django_user_model.objects.create_user(username="victim", password="long-password-1")
    Ticket.objects.filter(pk=victim_ticket.pk).update(customer=owner)
    stranger = django_user_model.objects.create_user(username="x", password="long-password-2")
    url = reverse("tickets:owned", args=[victim_ticket.reference])

    anonymous = Client().get(url)
    signed_in = Client()
    signed_in.force_login(stranger)
    other = signed_in.get(url)

    for response in (anonymous, other):
        assert response.status_code == 404
        assert "Victim's private problem" not in response.content.decode()


def flipped(token: str, position: int) -> str:
    """The token with one character changed, as someone guessing a neighbour's link would."""
    index = position % len(token)
    if token[index] == ":":
        index -= 1
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1 :]


TICKET_URLS = {
    "page": ("get", lambda token, ticket: reverse("tickets:detail", args=[token])),
    "submitted": ("get", lambda token, ticket: reverse("tickets:submitted", args=[token])),
    "attachment": (
        "get",
        lambda token, ticket: reverse(
            "tickets:attachment",
            args=[token, Attachment.objects.get(message__ticket=ticket).pk],
        ),
    ),
    "reply": ("post", lambda token, ticket: reverse("tickets:reply", args=[token])),
    "close": (
        "post",
        lambda token, ticket: reverse("tickets:change_status", args=[token, "close"]),
    ),
    "rate": ("post", lambda token, ticket: reverse("tickets:rate", args=[token])),
}


@pytest.mark.django_db
@pytest.mark.parametrize("target", TICKET_URLS)
@pytest.mark.parametrize("position", [0, 10, 25, -30, -1], ids=lambda p: f"char{p}")
def test_a_changed_token_opens_nothing(victim_ticket, target, position):
    method, url_of = TICKET_URLS[target]
    token = flipped(ticket_token(victim_ticket), position)
    before = row_counts()

    response = getattr(Client(), method)(
        url_of(token, victim_ticket), {"body": "Hijacked reply", "rating": "1"}
    )

    assert response.status_code == 404
    assert "Victim" not in response.content.decode()
    assert row_counts() == before
    assert Ticket.objects.get(pk=victim_ticket.pk).status == Status.NEW


@pytest.mark.django_db
@pytest.mark.parametrize("target", TICKET_URLS)
def test_an_expired_token_opens_nothing(victim_ticket, target, settings):
    settings.TICKET_LINK_MAX_AGE_DAYS = 90
    method, url_of = TICKET_URLS[target]
    url = url_of(ticket_token(victim_ticket), victim_ticket)
    before = row_counts()

    with time_machine.travel(timezone.now() + timedelta(days=91)):
        response = getattr(Client(), method)(url, {"body": "Late reply", "rating": "1"})

    assert response.status_code == (410 if target == "page" else 404)
    assert "Victim" not in response.content.decode()
    assert row_counts() == before


@pytest.mark.django_db
def test_the_attachment_of_another_ticket_is_not_served_through_my_link(victim_ticket):
    mine = services.ticket_create(
        problem_type="other",
        channel="web",
        subject="Mine",
        description="My own ticket, whose link I use to reach someone else's file.",
        customer_email="attacker@example.com",
    )
    their_file = Attachment.objects.get(message__ticket=victim_ticket)

    response = Client().get(reverse("tickets:attachment", args=[ticket_token(mine), their_file.pk]))

    assert response.status_code == 404


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_another_visitors_chat_socket_is_refused():
    conversation = make_conversation("victim-visitor")
    attacker = visitor_cookie("attacker")

    async def scenario():
        socket = communicator(f"/ws/chat/{conversation.public_id}/", attacker)
        connected, code = await socket.connect()
        assert not connected
        assert code == 4403

    run(scenario)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("livechat:conversation", None),
        ("livechat:send", {"body": "Hijacked"}),
        ("livechat:end", {}),
        ("livechat:rate", {"rating": "1"}),
        ("livechat:transcript", {}),
    ],
)
def test_another_visitors_conversation_is_not_found(name, data):
    conversation = make_conversation("victim-visitor")
    attacker = Client()
    session = attacker.session
    session["chat_visitor"] = "attacker"
    session.save()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    url = reverse(name, args=[conversation.public_id])
    before = row_counts()

    response = attacker.get(url) if data is None else attacker.post(url, data)

    assert response.status_code == 404
    assert "My transfer is stuck" not in response.content.decode()
    assert row_counts() == before
    assert mail.outbox == []
    assert Conversation.objects.get(pk=conversation.pk).status == Conversation.Status.QUEUED


@pytest.fixture
def other_teams_ticket(db):
    """A ticket of the payments team, with a file, not assigned to the transactions agent."""
    upload = png_upload("id.png")
    ticket = services.ticket_create(
        problem_type="topup_withdrawal",
        channel="web",
        subject="Payments team only",
        description="My withdrawal to a bank card has been pending since nine this morning.",
        customer_email="payer@example.com",
        attachments=[NewAttachment(upload, check_attachment(upload))],
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        team=Team.objects.get(code="payments"), assignee=make_agent("payments")
    )
    return ticket


@pytest.fixture
def outside_agent(db) -> Client:
    client = Client()
    login_with_second_factor(client, make_agent("transactions"))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["change", "history", "viewers", "attachment"])
def test_an_agent_cannot_open_a_ticket_of_another_team(other_teams_ticket, outside_agent, view):
    pk = other_teams_ticket.pk
    url = {
        "change": reverse("admin:tickets_ticket_change", args=[pk]),
        "history": reverse("admin:tickets_ticket_history", args=[pk]),
        "viewers": reverse("admin:tickets_ticket_viewers", args=[pk]),
        "attachment": reverse(
            "admin:tickets_ticket_attachment",
            args=[pk, Attachment.objects.get(message__ticket_id=pk).pk],
        ),
    }[view]

    response = outside_agent.get(url)

    if view in {"viewers", "attachment"}:
        assert response.status_code == 404
    else:
        # The admin's answer for an object one may not see: "does not exist", back to the index.
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:index")
        shown = outside_agent.get(response["Location"]).content.decode()
        assert "Payments team only" not in shown
        assert "pending since nine" not in shown


@pytest.mark.django_db
def test_an_agent_cannot_write_on_or_move_a_ticket_of_another_team(
    other_teams_ticket, outside_agent
):
    pk = other_teams_ticket.pk
    before = row_counts()

    latest = other_teams_ticket.messages.latest("id").pk
    outside_agent.post(
        reverse("admin:tickets_ticket_change", args=[pk]),
        {"_reply": "1", "body": "Reply from outside", "seen_up_to": latest, "client_id": uuid4()},
    )
    outside_agent.post(
        reverse("admin:tickets_ticket_changelist"),
        {"action": "mark_closed", "_selected_action": [str(pk)], "index": "0"},
    )

    assert row_counts() == before
    assert Ticket.objects.get(pk=pk).status == Status.NEW


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("way", ["socket", "page", "agent-socket"])
def test_an_agent_cannot_open_the_chat_of_another_teams_ticket(way):
    conversation = make_conversation("visitor-1", problem_type="topup_withdrawal")
    owner = make_agent("payments")
    Ticket.objects.filter(pk=conversation.ticket_id).update(
        team=Team.objects.get(code="payments"), assignee=owner
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Conversation.Status.ACTIVE, agent=owner
    )
    outsider = make_agent("transactions")
    before = Message.objects.count()

    if way == "page":
        client = Client()
        login_with_second_factor(client, outsider)
        response = client.get(reverse("livechat:conversation", args=[conversation.public_id]))
        assert response.status_code == 404
        return

    cookie = staff_cookie(outsider)

    async def scenario():
        path = f"/ws/chat/{conversation.public_id}/" if way == "socket" else "/ws/agent/"
        socket = communicator(path, cookie)
        connected, _ = await socket.connect()
        if way == "socket":
            assert not connected
            return
        await socket.receive_json_from()
        await socket.send_json_to(
            {
                "type": "message",
                "conversation": str(conversation.public_id),
                "body": "Hello from another team",
                "client_id": new_client_id(),
            }
        )
        # Refused: an error event. Let through, the message is stored and goes to the chat's
        # group, which this socket is not in, so nothing comes back.
        answer = None
        if not await socket.receive_nothing(timeout=1):
            answer = await socket.receive_json_from()
        await socket.disconnect()
        return answer

    answer = run(scenario)
    assert Message.objects.count() == before
    if way == "agent-socket":
        assert answer["type"] == "error"


FOREIGN_ORIGINS = [
    b"https://evil.example",
    b"http://testserver.evil.example",
    b"null",
    None,  # no Origin header at all
]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("origin", FOREIGN_ORIGINS, ids=lambda o: (o or b"none").decode())
def test_a_websocket_from_a_foreign_origin_is_refused(origin):
    conversation = make_conversation()
    agent = make_agent("transactions")

    sockets = [
        (f"/ws/chat/{conversation.public_id}/", visitor_cookie("visitor-1")),
        ("/ws/agent/", staff_cookie(agent)),
    ]

    async def scenario():
        header = (b"origin", origin) if origin else None
        for path, cookie in sockets:
            refused = communicator(path, cookie, origin=header)
            assert (await refused.connect())[0] is False, path
            own = communicator(path, cookie)
            assert (await own.connect())[0] is True, path
            await own.disconnect()

    run(scenario)


def test_sockets_go_through_the_origin_check_before_anything_else():
    from channels.security.websocket import OriginValidator

    from wallet_support.asgi import application

    assert isinstance(application.application_mapping["websocket"], OriginValidator)


# --- 4. Disguised executables and hostile file names ----------------------------------------

PE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
    + b"\x00" * 48
    + (b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 200)
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 300
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
DISGUISED = {
    "pe-as-png": ("photo.png", PE, "image/png", "cannot be attached"),
    "elf-as-pdf": ("receipt.pdf", ELF, "application/pdf", "cannot be attached"),
    "html-as-png": ("screenshot.png", HTML, "image/png", "cannot be attached"),
    "svg-as-png": ("screenshot.png", SVG, "image/svg+xml", "cannot be attached"),
    "png-header-then-html": (
        "screenshot.png",
        b"\x89PNG\r\n\x1a\n" + HTML,
        "image/png",
        "damaged",
    ),
    "jpeg-header-then-pe": ("photo.jpg", b"\xff\xd8\xff\xe0" + PE, "image/jpeg", "damaged"),
    "pdf-header-then-pe": ("statement.pdf", b"%PDF-1.7\n" + PE, "application/pdf", "damaged"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", DISGUISED)
def test_a_disguised_executable_is_refused_in_the_contact_form(kind):
    from django.core.files.uploadedfile import SimpleUploadedFile

    name, content, content_type, message = DISGUISED[kind]
    data = contact_data(ProblemType.OTHER)
    data["attachments"] = [SimpleUploadedFile(name, content, content_type=content_type)]

    response = Client().post(f"{CONTACT}?type=other", data)

    assert response.status_code == 400
    page = response.content.decode()
    assert f"“{name}”" in page
    assert message in page
    assert row_counts() == dict.fromkeys(row_counts(), 0)
    assert media_files() == []


@pytest.mark.django_db
@pytest.mark.parametrize("kind", DISGUISED)
def test_a_disguised_executable_is_refused_in_a_reply(kind, victim_ticket):
    name, content, content_type, message = DISGUISED[kind]
    files_before, rows_before = media_files(), row_counts()
    body, multipart_type = multipart({"body": "Here is the file"}, [(name, content, content_type)])

    response = Client().post(
        reverse("tickets:reply", args=[ticket_token(victim_ticket)]),
        body,
        content_type=multipart_type,
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert row_counts() == rows_before
    assert media_files() == files_before


@pytest.mark.django_db
def test_an_image_with_a_script_appended_is_only_ever_served_as_a_download(victim_ticket):
    # A valid PNG with markup after its end decodes fine; it must never be rendered as a page.
    token = ticket_token(victim_ticket)
    body, multipart_type = multipart(
        {"body": "Screenshot"}, [("shot.png", png_bytes() + HTML, "image/png")]
    )
    Client().post(reverse("tickets:reply", args=[token]), body, content_type=multipart_type)
    stored = Attachment.objects.filter(message__ticket=victim_ticket).latest("id")

    response = Client().get(reverse("tickets:attachment", args=[token, stored.pk]))

    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent_name", "shown_name"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\windows\\system32\\evil.png", "evil.png"),
        ("photo\x00.exe", "photo.png"),
        ("invoice\u202egnp.exe", "invoicegnp.png"),
        ("&lt;script&gt;.png", "script.png"),
    ],
    ids=["traversal", "windows-traversal", "nul", "right-to-left-override", "entities"],
)
def test_a_hostile_file_name_is_stored_under_our_own_name_and_shown_cleaned(
    victim_ticket, sent_name, shown_name
):
    token = ticket_token(victim_ticket)
    files_before = media_files()
    body, multipart_type = multipart({"body": "My file"}, [(sent_name, png_bytes(), "image/png")])

    response = Client().post(
        reverse("tickets:reply", args=[token]), body, content_type=multipart_type
    )

    assert response.status_code == 302
    stored = Attachment.objects.filter(message__ticket=victim_ticket).latest("id")
    assert stored.name == shown_name
    (new_file,) = set(media_files()) - set(files_before)
    media_root = Path(settings.MEDIA_ROOT).resolve()
    assert new_file.resolve().is_relative_to(media_root / "attachments")
    assert re.fullmatch(r"[0-9a-f]{32}\.png", new_file.name)
    page = Client().get(ticket_private_url(victim_ticket)).content.decode()
    assert escape(shown_name) in page
    download = Client().get(reverse("tickets:attachment", args=[token, stored.pk]))
    assert shown_name in download["Content-Disposition"]
    assert "\u202e" not in download["Content-Disposition"]
