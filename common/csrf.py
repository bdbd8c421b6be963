"""A CSRF form token for a cached page, minted at a fraction of Django's cost.

Django's `get_token` draws the 32-character secret and the 32-character mask with
`get_random_string`: 64 `secrets.choice` calls, each its own trip to the kernel's random source.
For a page served from the page cache that was a fifth of the whole request (docs/benchmarks.md,
issue 19), and every new visitor pays it. Here both come from one `secrets.token_bytes` call,
mapped onto the same 62-letter alphabet without bias (bytes 248-255 are dropped, 248 = 4 x 62),
and the token has Django's format: mask followed by the secret shifted by the mask, letter by
letter. The request is marked exactly as `get_token` marks it (META "CSRF_COOKIE" and
"CSRF_COOKIE_NEEDS_UPDATE"), so Django's CsrfViewMiddleware sets the cookie and checks the form
as for any token of its own.

This leans on the format of Django's tokens, not on its code: tests/common/test_csrf.py checks
that Django's middleware accepts these tokens (form field and header) and refuses altered ones,
and fails when the constants or the marking in `django.middleware.csrf` change.
"""

import secrets
import string

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token

ALPHABET = string.ascii_letters + string.digits  # django.middleware.csrf.CSRF_ALLOWED_CHARS
SECRET_LENGTH = 32  # django.middleware.csrf.CSRF_SECRET_LENGTH
_POSITION = {letter: position for position, letter in enumerate(ALPHABET)}
_USABLE = len(ALPHABET) * (256 // len(ALPHABET))  # 248: a byte below it is unbiased modulo 62
# bytes.translate: byte b < 248 becomes ALPHABET[b % 62]; the rest are deleted.
_TABLE = bytes(ord(ALPHABET[byte % len(ALPHABET)]) for byte in range(_USABLE)) + bytes(
    256 - _USABLE
)
_DROPPED = bytes(range(_USABLE, 256))


def random_letters(length: int) -> str:
    """`length` letters of ALPHABET, each uniformly random (as get_random_string's)."""
    letters = b""
    while len(letters) < length:
        # 1/32 of the bytes are dropped: a few spare ones make a second draw very rare.
        letters += secrets.token_bytes(length + length // 4 + 4).translate(_TABLE, _DROPPED)
    return letters[:length].decode("ascii")


def csrf_token(request: HttpRequest) -> str:
    """The token for this request's forms, as `django.middleware.csrf.get_token` returns it: the
    visitor's secret when they sent the cookie, otherwise a new one the middleware will set."""
    if settings.CSRF_USE_SESSIONS:  # the secret lives in the session: Django's own way
        return get_token(request)
    secret = request.META.get("CSRF_COOKIE")
    drawn = random_letters(2 * SECRET_LENGTH if secret is None else SECRET_LENGTH)
    mask = drawn[:SECRET_LENGTH]
    if secret is None:
        secret = drawn[SECRET_LENGTH:]
        request.META["CSRF_COOKIE"] = secret
    # Sent again even to a visitor who has it, as get_token does: it renews the expiry.
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    size = len(ALPHABET)
    return mask + "".join(
        ALPHABET[(_POSITION[letter] + _POSITION[shift]) % size]
        for letter, shift in zip(secret, mask, strict=True)
    )
