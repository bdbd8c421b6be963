"""The OpenAPI description is generated from the code, valid, and browsable under the CSP."""

import pytest
import yaml
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse

from tests.support.headers import assert_page_runs_under_the_policy, inspect_page

pytestmark = pytest.mark.django_db


def test_schema_generates_valid_without_a_single_warning(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def test_schema_is_served_and_describes_every_operation(client):
    response = client.get(reverse("api:schema"), {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    operations = {
        (method.upper(), path) for path, item in schema["paths"].items() for method in item
    }
    assert {
        ("GET", "/api/v1/tickets/"),
        ("POST", "/api/v1/tickets/"),
        ("GET", "/api/v1/tickets/{reference}/"),
        ("POST", "/api/v1/tickets/{reference}/messages/"),
        ("POST", "/api/v1/tickets/{reference}/attachments/"),
        ("GET", "/api/v1/tickets/{reference}/attachments/{attachment_id}/"),
        ("POST", "/api/v1/tickets/{reference}/rating/"),
        ("POST", "/api/v1/tickets/{reference}/status/"),
        ("GET", "/api/v1/faq/"),
        ("GET", "/api/v1/faq/search/"),
        ("POST", "/api/v1/faq/search/"),
        ("GET", "/api/v1/faq/articles/{slug}/"),
        ("POST", "/api/v1/chats/"),
        ("POST", "/api/v1/verify/"),
    } == operations
    scheme = schema["components"]["securitySchemes"]["walletToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    # Each problem type's request spells out the facts it needs, as the contact form asks them.
    variants = schema["components"]["schemas"]["TicketCreateRequest"]["oneOf"]
    assert len(variants) == 5
    evidence = schema["components"]["schemas"]["AbnormalTransactionEvidenceRequest"]
    assert "transaction_hash" in evidence["required"]


def test_docs_page_runs_under_the_content_security_policy(client):
    assert_page_runs_under_the_policy(client, reverse("api:docs"))

    page = inspect_page(client.get(reverse("api:docs")).content.decode())
    assert any("swagger-ui-bundle" in source for source in page.script_sources)
    assert all(
        source.startswith(django_settings.STATIC_URL) or source.startswith(reverse("api:docs"))
        for source in page.script_sources
    )  # no CDN: Swagger UI comes from our static files


def test_docs_start_script_points_at_the_schema_and_sends_no_cookie_token(client):
    script = client.get(reverse("api:docs"), {"script": ""})

    assert "javascript" in script["Content-Type"]
    text = script.content.decode()
    assert reverse("api:schema") in text
    assert "csrf" not in text.lower()
