"""Every URL the project defines answers without a server error."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.support.auth import login_with_second_factor

# Values for URL parameters, so that parameterised routes are visited too; unknown objects must
# answer 404 (or a redirect), never 500.
SAMPLE_KWARGS = {
    "app_label": "auth",
    "object_id": "1",
    "content_type_id": "1",
    "language": "en",
}


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def to_path(pattern: str) -> str | None:
    path = pattern.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\/", "/")
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE_KWARGS.get(m.group(1), "x"), path)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLE_KWARGS.get(m.group(1), "x"), path)
    if any(char in path for char in "()[]?*+\\"):
        return None
    return "/" + path


def project_paths() -> list[str]:
    paths = {to_path(pattern) for pattern in walk(get_resolver().url_patterns)}
    return sorted(path for path in paths if path is not None)


def test_smoke_walks_a_meaningful_number_of_urls():
    paths = project_paths()

    assert "/" in paths
    assert "/healthz" in paths
    assert "/admin/" in paths
    assert len(paths) > 20


@pytest.mark.django_db
@pytest.mark.parametrize("path", project_paths())
def test_every_url_answers_without_server_error(client, superuser, settings, path):
    settings.API_TOKEN_SECRET = "smoke-test-secret-of-32-characters"  # else /api/v1/ is a 503
    anonymous = client.get(path)
    login_with_second_factor(client, superuser)
    staff = client.get(path)

    assert anonymous.status_code < 500, path
    assert staff.status_code < 500, path
