"""Reading a page for inline code, and checking that it runs under the content-security policy."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.contrib.staticfiles import finders


class InlineCodeFinder(HTMLParser):
    """Everything in a page that a policy without 'unsafe-inline' would block, plus where every
    script comes from."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.script_sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        where = f"line {self.getpos()[0]}: <{tag}>"
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{where} has an event handler attribute {name}=")
            if name == "style":
                self.problems.append(f"{where} has a style attribute")
            if (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"{where} has a javascript: URL in {name}=")
        if tag == "style":
            self.problems.append(f"{where} is an inline stylesheet")
        if tag == "script":
            if attributes.get("src"):
                self.script_sources.append(attributes["src"])
            elif attributes.get("type") != "application/json":
                self.problems.append(f"{where} is an inline script")


def inspect_page(html: str) -> InlineCodeFinder:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder


def assert_page_runs_under_the_policy(client, path: str) -> None:
    response = client.get(path, follow=True)  # the admin's log-in leads to the agents' own

    assert response.status_code in {200, 404}, (path, response.status_code)
    assert "text/html" in response["Content-Type"], path
    page = inspect_page(response.content.decode())
    assert page.problems == [], path
    for source in page.script_sources:
        assert urlsplit(source).netloc == "", (path, source)  # the site's own files only
        if source.startswith(django_settings.STATIC_URL):
            assert finders.find(source.removeprefix(django_settings.STATIC_URL)), (path, source)
        else:  # a view answering JavaScript, such as the admin's catalogue /admin/jsi18n/
            assert "javascript" in client.get(source)["Content-Type"], (path, source)
    script_src = csp_directives(response)["script-src"]
    assert script_src == ["'self'"], path


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in parts}
