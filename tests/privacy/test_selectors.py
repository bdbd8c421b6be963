"""Reads of a customer's data: what the desk holds for an address."""

import pytest
from django.utils.crypto import salted_hmac

from privacy import selectors
from privacy.models import DataRequest
from tests.support.factories import make_data_request, make_ticket

pytestmark = pytest.mark.django_db


def test_the_desk_holds_data_for_an_address_with_a_ticket_in_any_letter_case():
    make_ticket(customer_email="Mei.Chen@example.com")

    assert selectors.customer_holds_data(email=" MEI.chen@example.com ")
    assert not selectors.customer_holds_data(email="li.wei@example.com")


def test_a_request_recorded_before_the_apps_split_is_still_found_by_its_address():
    # Its hash was made with the salt of tickets.privacy, and no ticket is left to match.
    old_hash = salted_hmac(
        "tickets.privacy.email", "mei.chen@example.com", algorithm="sha256"
    ).hexdigest()
    make_data_request(
        DataRequest.Kind.EXPORT,
        email="mei.chen@example.com",
        email_hash=old_hash,
        status=DataRequest.State.DONE,
    )

    assert selectors.email_fingerprint("Mei.Chen@example.com") == old_hash
    assert selectors.customer_holds_data(email="mei.chen@example.com")
