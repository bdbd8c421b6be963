"""Every aria-describedby and aria-labelledby on a public page, and on its forms after an error,
names an element that exists (Django 5.2 points a field at `<id>_helptext` and `<id>_error`)."""

from html.parser import HTMLParser

import pytest

from tests.support.factories import contact_data
from tickets.models import ProblemType


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.references: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        for name in ("aria-describedby", "aria-labelledby"):
            for target in (attributes.get(name) or "").split():
                self.references.append((tag, name, target))


def broken_references(html: str) -> list[tuple[str, str, str]]:
    parser = _References()
    parser.feed(html)
    return [ref for ref in parser.references if ref[2] not in parser.ids]


PAGES = [
    "/",
    "/faq/",
    "/security/",
    "/contact/",
    *(f"/contact/?type={code}" for code in ProblemType.values),
    "/chat/",
    "/verify/",
    "/privacy/",
    "/tickets/new-link/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("path", PAGES)
def test_public_page_aria_references_exist(client, path, language):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    assert broken_references(response.content.decode()) == []


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("problem_type", ProblemType.values)
def test_contact_form_after_errors_aria_references_exist(client, problem_type, language):
    data = dict.fromkeys(contact_data(problem_type), "")
    data["problem_type"] = problem_type

    response = client.post(f"/contact/?type={problem_type}", data, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert broken_references(html) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "data"),
    [("/verify/", {"code": ""}), ("/privacy/", {"email": "not-an-email"})],
)
def test_other_forms_after_errors_aria_references_exist(client, path, data):
    response = client.post(path, data)

    assert broken_references(response.content.decode()) == []
