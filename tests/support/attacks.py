"""Helpers of the attack tests: a stored-script payload, the check that it is shown escaped,
and row counts and files for "nothing was saved"."""

import io
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.utils.html import escape

from guard.models import GuardEvent
from livechat.models import Conversation
from tickets.models import Attachment, Message, Ticket, TicketEvent

# What a browser would run if any of it came back unescaped.
RAW_FRAGMENTS = ("<script>alert(", "<img src=x onerror", "<img/src=x/onerror", "<svg onload")


# A valid address: the quoted local part may hold < > ( ) = and / (RFC 5321).
XSS_EMAIL = '"<script>alert(1)</script><img/src=x/onerror=alert(1)>"@example.com'


def xss(marker: str) -> str:
    """A stored-script payload naming the field it was typed in, breaking out of an attribute
    as well as out of text."""
    return f'<script>alert("{marker}")</script>"><img src=x onerror=alert(1)>'


def assert_no_raw_script(content: str, *, where: str) -> None:
    for fragment in RAW_FRAGMENTS:
        assert fragment not in content, f"{where}: unescaped {fragment!r}"


def assert_escaped(content: str, texts: Iterable[str], *, where: str) -> None:
    """Nothing runnable came back, and each text is there, escaped (so it was shown at all)."""
    assert_no_raw_script(content, where=where)
    for text in texts:
        assert escape(text) in content, f"{where}: {text!r} is not shown (escaped)"


COUNTED = (Ticket, Message, Attachment, TicketEvent, GuardEvent, Conversation)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def media_files() -> list[Path]:
    """Every file under MEDIA_ROOT (a temporary folder per test: tests/conftest.py)."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def png_bytes(size: tuple[int, int] = (8, 6)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()
