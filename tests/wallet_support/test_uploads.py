"""Oversized request bodies refused before they are read (wallet_support.uploads), through the
ASGI application the server runs: a declared 50 MB upload is answered 413 without a byte of it
being received, a chunked one is cut off at the limit, and one file is never stored past a byte
over the attachment limit, for the contact form, the chat's screenshot and the API alike."""

import io

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadhandler import load_handler
from django.http.multipartparser import MultiPartParser
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils.datastructures import MultiValueDict

from tickets.validators import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS

FIFTY_MB = 50 * 1024 * 1024
CHUNK = 1024 * 1024
PATHS = ["/contact/?type=other", "/chat/00000000-0000-0000-0000-000000000000/attach/",
         "/api/v1/tickets/"]  # fmt: skip


def call(path: str, *, declared: int | None, body_bytes: int) -> tuple[int, int, bytes]:
    """POST `body_bytes` in 1 MB chunks to the ASGI application: (status, bytes the
    application pulled from the client, response body)."""
    from wallet_support.asgi import application

    headers = [(b"host", b"testserver"), (b"content-type", b"multipart/form-data; boundary=x")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path.partition("?")[0],
        "raw_path": path.partition("?")[0].encode(),
        "query_string": path.partition("?")[2].encode(),
        "headers": headers,
        "client": ("203.0.113.9", 50000),
        "server": ("testserver", 80),
    }
    pulled = 0
    sent: list[dict] = []

    async def receive():
        nonlocal pulled
        if pulled >= body_bytes:
            return {"type": "http.disconnect"}
        size = min(CHUNK, body_bytes - pulled)
        pulled += size
        return {"type": "http.request", "body": b"\0" * size, "more_body": pulled < body_bytes}

    async def send(message):
        sent.append(message)

    async_to_sync(application)(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return start["status"], pulled, body


@pytest.mark.parametrize("path", PATHS)
def test_a_declared_50_mb_upload_is_refused_without_reading_it(path):
    status, pulled, body = call(path, declared=FIFTY_MB, body_bytes=FIFTY_MB)

    assert status == 413
    assert pulled == 0
    assert b"5 MB" in body
    assert "上传".encode() in body


@pytest.mark.parametrize("path", PATHS)
def test_a_chunked_50_mb_upload_is_cut_off_at_the_limit(path, settings):
    status, pulled, _ = call(path, declared=None, body_bytes=FIFTY_MB)

    assert status == 413
    assert pulled <= settings.REQUEST_BODY_MAX_BYTES + CHUNK


def test_a_made_up_content_length_is_refused():
    assert call("/contact/", declared=-1, body_bytes=10)[0] == 413


def test_the_largest_form_fits_under_the_limit(settings):
    largest = MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    assert largest < settings.REQUEST_BODY_MAX_BYTES < FIFTY_MB


def parsed_file(size: int, settings):
    body = encode_multipart(
        BOUNDARY, {"screenshot": io.BytesIO(b"\x89PNG" + b"\0" * (size - 4)), "note": "hello"}
    )
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    handlers = [load_handler(path) for path in settings.FILE_UPLOAD_HANDLERS]
    post, files = MultiPartParser(meta, io.BytesIO(body), handlers).parse()
    assert isinstance(files, MultiValueDict)
    return post, files["screenshot"]


def test_an_oversized_file_is_never_stored_past_the_attachment_limit(settings):
    post, uploaded = parsed_file(3 * MAX_ATTACHMENT_BYTES, settings)

    kept = uploaded.read()
    assert len(kept) == MAX_ATTACHMENT_BYTES + 1
    assert uploaded.size > MAX_ATTACHMENT_BYTES  # so the attachment check says "too large"
    assert post["note"] == "hello"  # the fields after the file are still read


def test_a_file_within_the_limit_is_kept_whole(settings):
    _, uploaded = parsed_file(MAX_ATTACHMENT_BYTES, settings)

    assert len(uploaded.read()) == uploaded.size == MAX_ATTACHMENT_BYTES
