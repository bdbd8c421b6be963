"""The admin's theme (issue 20) on every admin page: the desk's brand and stylesheet, the light,
dark and automatic theme switch, both languages, and the strict content-security policy kept."""

import pytest
from django.urls import reverse

from agents.models import Team
from tests.support.auth import login_with_second_factor
from tests.support.factories import make_announcement, make_ticket
from tests.support.headers import assert_page_runs_under_the_policy

pytestmark = pytest.mark.django_db

BRAND = {"en": "Support desk", "zh-hans": "客服工作台"}


def admin_pages() -> list[str]:
    ticket = make_ticket()
    team = Team.objects.get(code="payments")
    announcement = make_announcement()
    return [
        reverse("admin:index"),
        reverse("admin:tickets_ticket_changelist"),
        reverse("admin:tickets_ticket_change", args=[ticket.pk]),
        reverse("admin:tickets_ticket_add"),
        reverse("admin:agents_team_change", args=[team.pk]),
        reverse("admin:agents_team_add"),
        reverse("admin:announcements_announcement_changelist"),
        reverse("admin:announcements_announcement_reply_all", args=[announcement.pk]),
        reverse("admin:privacy_datarequest_changelist"),
        reverse("admin:auth_user_changelist"),
        reverse("dashboard:index"),
    ]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_admin_page_wears_the_desks_theme(client, superuser, language):
    login_with_second_factor(client, superuser)

    for path in admin_pages():
        response = client.get(path, headers={"accept-language": language})
        page = response.content.decode()

        assert response.status_code == 200, path
        assert '<link rel="stylesheet" href="/static/css/admin-theme.css">' in page, path
        assert 'class="desk-brand"' in page, path
        assert BRAND[language] in page, path
        assert 'class="theme-toggle"' in page, path  # light, dark or the system's
        assert f'<html lang="{language}"' in page, path


def test_the_themed_pages_keep_the_strict_policy(client, superuser):
    login_with_second_factor(client, superuser)

    for path in admin_pages():
        assert_page_runs_under_the_policy(client, path)


def test_the_dark_theme_follows_the_switch_and_the_system():
    from django.contrib.staticfiles import finders

    with open(finders.find("css/admin-theme.css"), encoding="utf-8") as css:
        theme = css.read()

    assert 'html[data-theme="dark"] {' in theme
    assert '@media (prefers-color-scheme: dark) {\n  html[data-theme="auto"] {' in theme
    assert ':root,\nhtml[data-theme="light"] {' in theme


@pytest.mark.parametrize(
    ("language", "title", "resolve"),
    [
        ("en", "Keyboard shortcuts", "Resolve the ticket"),
        ("zh-hans", "键盘快捷键", "将工单标记为已解决"),
    ],
)
def test_the_shortcuts_are_listed_on_a_help_overlay_in_both_languages(
    client, superuser, language, title, resolve
):
    login_with_second_factor(client, superuser)

    page = client.get(
        reverse("admin:tickets_ticket_changelist"), headers={"accept-language": language}
    ).content.decode()

    assert '<dialog id="workspace-help"' in page
    assert title in page
    assert resolve in page
    for key in ("j", "k", "r", "n", "a", "e", "?"):
        assert f"<kbd>{key}</kbd>" in page
    assert '<script src="/static/js/admin-workspace.js" defer></script>' in page
    assert 'id="queue-updated" role="status"' in page
