"""The signed links a data request mails, as the customer's mail client holds them."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from privacy import links
from privacy.models import DataRequest
from tests.support.factories import make_data_request
from tickets.links import LinkExpired

pytestmark = pytest.mark.django_db


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:20]


def token_from_path(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def test_a_confirmation_link_opens_its_request_until_it_expires():
    data_request = make_data_request(DataRequest.Kind.DELETE)
    token = token_from_path(links.confirmation_url(data_request=data_request))

    assert links.data_request_from_confirmation_link(token=token) == data_request
    with (
        time_machine.travel(timezone.now() + links.CONFIRM_LINK_MAX_AGE + timedelta(minutes=1)),
        pytest.raises(LinkExpired),
    ):
        links.data_request_from_confirmation_link(token=token)


def test_an_export_link_is_refused_once_its_file_is_gone():
    data_request = make_data_request(export=b"{}", status=DataRequest.State.DONE)
    token = token_from_path(links.export_url(data_request=data_request))

    assert links.data_request_from_export_link(token=token) == data_request
    data_request.export_file.storage.delete(data_request.export_file.name)
    with pytest.raises(LinkExpired):
        links.data_request_from_export_link(token=token)


# Links mailed before privacy had an app of its own were signed with the salts of
# tickets.privacy; they are valid for up to a week and must keep opening.


def test_a_confirmation_link_mailed_before_the_apps_split_still_opens():
    data_request = make_data_request(DataRequest.Kind.DELETE)
    token = signing.dumps(
        {"r": data_request.pk, "c": fingerprint(data_request.confirmation_key)},
        salt="tickets.privacy.confirm",
    )

    assert links.data_request_from_confirmation_link(token=token) == data_request


def test_an_export_link_mailed_before_the_apps_split_still_opens():
    data_request = make_data_request(export=b"{}", status=DataRequest.State.DONE)
    token = signing.dumps(
        {"r": data_request.pk, "f": fingerprint(data_request.export_file.name)},
        salt="tickets.privacy.export",
    )

    assert links.data_request_from_export_link(token=token) == data_request
