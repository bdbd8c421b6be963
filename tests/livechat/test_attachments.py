"""Screenshots in the chat: the upload endpoint (messenger JSON and the plain page's form) and the
download, with the contact form's content checks (tickets.validators)."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from agents.models import Team
from livechat.models import Conversation
from tests.support.attacks import media_files, row_counts
from tests.support.auth import login_with_second_factor
from tests.support.factories import make_agent, make_conversation, png_upload
from tickets.models import Attachment, Message, Ticket
from tickets.validators import MAX_ATTACHMENT_BYTES


def jpeg_upload(name: str = "photo.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 20)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def conversation(db) -> Conversation:
    return make_conversation(visitor_key="visitor-attach")


@pytest.fixture
def visitor(client, conversation) -> Client:
    session = client.session
    session["chat_visitor"] = conversation.visitor_key
    session.save()
    return client


def attach(client, conversation, upload, *, as_json: bool = True, **extra):
    headers = {"HTTP_ACCEPT": "application/json"} if as_json else {}
    return client.post(
        reverse("livechat:attach", args=[conversation.public_id]),
        {"screenshot": upload, **extra},
        **headers,
    )


@pytest.mark.django_db
def test_attach_png_stores_a_message_with_the_file_and_broadcasts_it(
    visitor, conversation, capture_broadcasts
):
    with capture_broadcasts() as sent:
        response = attach(visitor, conversation, png_upload("my screen.png"))

    assert response.status_code == 201
    stored = Attachment.objects.get()
    assert stored.content_type == "image/png"
    assert stored.message.ticket_id == conversation.ticket_id
    assert stored.message.author_kind == "customer"
    assert stored.message.channel == "chat"
    expected = {
        "name": "my screen.png",
        "size": stored.size,
        "url": f"/chat/{conversation.public_id}/attachments/{stored.pk}/",
    }
    assert response.json()["attachments"] == [expected]
    [(group, event)] = sent.of_type("chat.message")
    assert group == conversation.group_name
    assert event["payload"]["attachments"] == [expected]
    assert event["payload"]["id"] == stored.message_id


@pytest.mark.django_db
def test_attach_jpeg_from_the_plain_form_redirects_back_to_the_chat(visitor, conversation):
    response = attach(visitor, conversation, jpeg_upload(), as_json=False)

    assert response.status_code == 302
    assert response["Location"].endswith(f"/chat/{conversation.public_id}/#composer")
    assert Attachment.objects.get().content_type == "image/jpeg"
    page = visitor.get(reverse("livechat:conversation", args=[conversation.public_id]))
    assert f"/chat/{conversation.public_id}/attachments/" in page.content.decode()


@pytest.mark.django_db
def test_attach_with_the_same_client_id_twice_stores_one_copy(visitor, conversation):
    client_id = str(uuid.uuid4())
    first = attach(visitor, conversation, png_upload(), client_id=client_id)
    again = attach(visitor, conversation, png_upload(), client_id=client_id)

    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Attachment.objects.count() == 1
    assert len(media_files()) == 1


@pytest.mark.django_db
def test_attach_refuses_a_program_renamed_as_png_and_saves_nothing(visitor, conversation):
    before = row_counts()
    program = SimpleUploadedFile("screenshot.png", b"MZ\x90\x00" + b"\x00" * 200, "image/png")

    response = attach(visitor, conversation, program)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "cannot be attached" in response.json()["error"]["message"]
    assert row_counts() == before
    assert media_files() == []


@pytest.mark.django_db
def test_attach_refuses_a_pdf_as_only_screenshots_go_in_the_chat(visitor, conversation):
    from pypdf import PdfWriter

    writer, content = PdfWriter(), io.BytesIO()
    writer.add_blank_page(200, 200)
    writer.write(content)  # a real PDF: one that is only damaged is refused as damaged
    pdf = SimpleUploadedFile("report.png", content.getvalue(), "image/png")

    response = attach(visitor, conversation, pdf)

    assert response.status_code == 400
    assert "PNG or JPEG" in response.json()["error"]["message"]
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_attach_refuses_a_file_over_the_limit(visitor, conversation):
    large = SimpleUploadedFile(
        "big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_ATTACHMENT_BYTES, "image/png"
    )

    response = attach(visitor, conversation, large)

    assert response.status_code == 400
    assert "larger than 5 MB" in response.json()["error"]["message"]
    assert not Message.objects.filter(body="").exists()
    assert media_files() == []


@pytest.mark.django_db
def test_attach_error_is_in_the_visitors_language(visitor, conversation):
    program = SimpleUploadedFile("a.png", b"MZ" + b"\x00" * 100, "image/png")

    response = visitor.post(
        reverse("livechat:attach", args=[conversation.public_id]),
        {"screenshot": program},
        HTTP_ACCEPT="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert any("\u4e00" <= char <= "\u9fff" for char in message)


@pytest.mark.django_db
def test_attach_to_another_visitors_chat_is_not_found(client, conversation):
    session = client.session
    session["chat_visitor"] = "someone-else"
    session.save()

    response = attach(client, conversation, png_upload())

    assert response.status_code == 404
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_attach_from_a_script_without_cookies_is_refused(conversation):
    script = Client(enforce_csrf_checks=True)

    response = attach(script, conversation, png_upload())

    assert response.status_code in {403, 404}
    assert not Attachment.objects.exists()
    assert media_files() == []


@pytest.mark.django_db
def test_attach_to_a_closed_chat_is_refused_and_saves_nothing(visitor, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.CLOSED)
    before = row_counts()

    response = attach(visitor, conversation, png_upload())

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "closed"
    assert row_counts() == before
    assert media_files() == []


@pytest.mark.django_db
def test_attach_is_rate_limited_like_messages(visitor, conversation, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "chat_message": {"address": "1000/10m", "session": "1/10m"},
    }
    assert attach(visitor, conversation, png_upload()).status_code == 201

    response = attach(visitor, conversation, png_upload())

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert Attachment.objects.count() == 1


@pytest.mark.django_db
def test_attachment_download_for_the_visitor_and_an_allowed_agent_only(
    visitor, conversation, django_user_model
):
    attach(visitor, conversation, png_upload())
    stored = Attachment.objects.get()
    url = reverse("livechat:attachment", args=[conversation.public_id, stored.pk])

    own = visitor.get(url)
    assert own.status_code == 200
    assert own["Content-Disposition"].startswith("attachment;")
    assert own["X-Content-Type-Options"] == "nosniff"
    assert b"".join(own.streaming_content).startswith(b"\x89PNG")

    assert Client().get(url).status_code == 404

    Ticket.objects.filter(pk=conversation.ticket_id).update(
        team=Team.objects.get(code="transactions")
    )
    agent = Client()
    login_with_second_factor(agent, make_agent("transactions"))
    assert agent.get(url).status_code == 200

    outsider = Client()
    login_with_second_factor(outsider, make_agent("payments"))
    assert outsider.get(url).status_code == 404

    unverified = Client()
    unverified.force_login(make_agent("transactions"))
    assert unverified.get(url).status_code == 404
