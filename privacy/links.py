"""The signed links a data request mails: confirm the request, download the export.

A link names the request by id and carries a fingerprint of what it opens (the confirmation
key, the export file's name), signed with SECRET_KEY and dated: a changed character breaks the
signature, an old link raises LinkExpired, and the address never travels in it.
"""

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from privacy.models import DataRequest
from tickets.links import LinkExpired
from tickets.models import private_storage

# The salts are still those of the module this code was first written in (tickets.privacy):
# links already mailed were signed with them and must keep opening.
CONFIRM_SALT = "tickets.privacy.confirm"
EXPORT_SALT = "tickets.privacy.export"
CONFIRM_LINK_MAX_AGE = timedelta(days=1)
EXPORT_LINK_MAX_AGE = timedelta(days=7)


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:20]


def _absolute(path: str) -> str:
    return settings.SUPPORT_SITE_URL.rstrip("/") + path


def confirmation_url(*, data_request: DataRequest) -> str:
    token = signing.dumps(
        {"r": data_request.pk, "c": _fingerprint(data_request.confirmation_key)},
        salt=CONFIRM_SALT,
    )
    return _absolute(reverse("privacy:confirm", args=[token]))


def export_url(*, data_request: DataRequest) -> str:
    token = signing.dumps(
        {"r": data_request.pk, "f": _fingerprint(data_request.export_file.name)},
        salt=EXPORT_SALT,
    )
    return _absolute(reverse("privacy:export", args=[token]))


def _from_token(token: str, *, salt: str, max_age: timedelta) -> tuple[DataRequest, dict] | None:
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as expired:
        raise LinkExpired from expired
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("r"), int):
        return None
    data_request = DataRequest.objects.filter(pk=payload["r"]).first()
    if data_request is None:
        return None
    return data_request, payload


def data_request_from_confirmation_link(*, token: str) -> DataRequest | None:
    """The request a confirmation link is for; None when forged; LinkExpired when too old."""
    found = _from_token(token, salt=CONFIRM_SALT, max_age=CONFIRM_LINK_MAX_AGE)
    if found is None:
        return None
    data_request, payload = found
    expected = _fingerprint(data_request.confirmation_key)
    if not hmac.compare_digest(str(payload.get("c")), expected):
        return None
    return data_request


def data_request_from_export_link(*, token: str) -> DataRequest | None:
    """The export a download link opens; None when forged or the file is gone (deleted or
    purged); LinkExpired when older than EXPORT_LINK_MAX_AGE."""
    found = _from_token(token, salt=EXPORT_SALT, max_age=EXPORT_LINK_MAX_AGE)
    if found is None:
        return None
    data_request, payload = found
    name = data_request.export_file.name
    if (
        data_request.kind != DataRequest.Kind.EXPORT
        or not name
        or not hmac.compare_digest(str(payload.get("f")), _fingerprint(name))
    ):
        return None
    if not private_storage.exists(name):
        raise LinkExpired
    return data_request
