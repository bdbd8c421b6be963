"""Request bodies refused at their size, before they are read.

Django's ASGI handler reads a request's whole body (into memory, then a temporary file) before
any view, form or upload handler sees it, so a 50 MB upload used to be received whole and only
then refused by the attachment check. `RequestBodyLimit` stands in front of Django: a declared
Content-Length over `REQUEST_BODY_MAX_BYTES` is answered 413 without reading a byte of the body,
and a body without one (chunked) is cut off as soon as it passes the limit. The limit is the
largest form the desk takes (three attachments of 5 MB and their fields), for the web forms,
the chat's screenshots and the API alike.

`AttachmentSizeLimit`, the first upload handler, keeps no more of one file than a byte past the
attachment limit, while the file's size still says how large it was, so the attachment check
refuses it as too large without the rest being stored.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler

from tickets.validators import MAX_ATTACHMENT_BYTES

TOO_LARGE_BODY = (
    "The upload is too large: attach at most three files of 5 MB each.\n"
    "上传的内容太大：最多附加三个文件，每个不超过 5 MB。\n"
).encode()


async def _refuse(send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(TOO_LARGE_BODY)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": TOO_LARGE_BODY})


def _declared_length(scope: dict) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None


class RequestBodyLimit:
    """ASGI middleware for HTTP: 413 for a body over `settings.REQUEST_BODY_MAX_BYTES`."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.application(scope, receive, send)
        limit = settings.REQUEST_BODY_MAX_BYTES
        declared = _declared_length(scope)
        if declared is not None and (declared < 0 or declared > limit):
            await _refuse(send)  # a negative or unreadable length is refused the same way
            return None
        received = 0
        cut_off = started = False

        async def limited_receive():
            nonlocal received, cut_off
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django takes a disconnect while reading the body as the request aborted.
                    cut_off = True
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.application(scope, limited_receive, watched_send)
        if cut_off and not started:
            await _refuse(send)
        return None


class AttachmentSizeLimit(FileUploadHandler):
    """Pass on no more of an uploaded file than one byte past the attachment limit."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        keep = MAX_ATTACHMENT_BYTES + 1 - self.received
        self.received += len(raw_data)
        if keep <= 0:
            return None  # the handlers after this one never see the rest
        return raw_data[:keep]

    def file_complete(self, file_size: int) -> None:
        # The next handler makes the file; Django gives it the size of everything that came.
        return None


class WSGIRequestBodyLimit:
    """The same limit for the WSGI server (wallet_support/wsgi.py): a declared Content-Length
    over the limit is answered 413 before the body is read. Django reads no more of a WSGI body
    than its Content-Length says, so a body without one is never read at all."""

    def __init__(self, application) -> None:
        self.application = application

    def __call__(self, environ, start_response):
        declared = environ.get("CONTENT_LENGTH") or ""
        try:
            length = int(declared) if declared else 0
        except ValueError:
            length = -1
        if length < 0 or length > settings.REQUEST_BODY_MAX_BYTES:
            start_response(
                "413 Request Entity Too Large",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(TOO_LARGE_BODY))),
                    ("Connection", "close"),
                ],
            )
            return [TOO_LARGE_BODY]
        return self.application(environ, start_response)
