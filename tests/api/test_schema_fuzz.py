"""Schemathesis drives every operation of the served OpenAPI description with generated input,
valid and not, through the real WSGI application in this process: never a server error.

Path parameters are generated too; on half the cases the ticket reference is swapped for one of
the user's real tickets, so the fuzzing reaches past the 404 into replies, uploads and ratings.
Rate limits are off here (a 429 would hide the code behind it); they have tests of their own.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.python import wsgi

from faq.models import Article
from faq.services import help_centre_load
from tests.support.api import issue, web_ticket
from tickets.models import Status
from tickets.services import ticket_change_status

MAX_EXAMPLES = 30


@pytest.fixture
def fuzz_world(db, api_secret, settings):
    settings.RATE_LIMITS_ENABLED = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, wsgi.HOST]
    help_centre_load()
    open_ticket = web_ticket()
    solved = web_ticket()
    ticket_change_status(ticket=solved, status=Status.RESOLVED)
    # As Django's test client does: the test's transaction must outlive each request, which
    # would otherwise close the connection it runs in (PostgreSQL).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {
        "token": issue(),
        "references": [open_ticket.reference, solved.reference],
        "article": Article.objects.published().first().slug,
    }
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def operations() -> list:
    loaded = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    return [result.ok() for result in loaded.get_all_operations()]


def aim_at_real_objects(case, world: dict) -> None:
    parameters = case.path_parameters or {}
    if "reference" in parameters and len(str(parameters["reference"])) % 2 == 0:
        references = world["references"]
        parameters["reference"] = references[len(str(parameters["reference"])) % 4 // 2]
    if "slug" in parameters and len(str(parameters["slug"])) % 2 == 0:
        parameters["slug"] = world["article"]


def test_api_never_answers_with_a_server_error(fuzz_world):
    checked = []
    for operation in operations():
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def never_a_server_error(case):
            aim_at_real_objects(case, fuzz_world)
            response = case.call(headers={"Authorization": f"Bearer {fuzz_world['token']}"})
            case.validate_response(response, checks=[not_a_server_error])

        never_a_server_error()
        checked.append(operation.label)

    assert len(checked) == 14
