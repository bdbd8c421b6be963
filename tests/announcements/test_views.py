"""The banners on the pages visitors read before they write to us, in both languages."""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.support.factories import make_announcement, make_article, make_category

pytestmark = pytest.mark.django_db

WITHDRAWALS_EN = "Withdrawals on Tron are delayed"
WITHDRAWALS_ZH = "波场网络提现延迟"
PHISHING_EN = "Fake support accounts on Telegram"
PHISHING_ZH = "Telegram 上的假冒客服"


@pytest.fixture
def withdrawals():
    return make_announcement(
        severity="warning",
        title_en=WITHDRAWALS_EN,
        title_zh_hans=WITHDRAWALS_ZH,
        body_en="Your funds are safe and will arrive.",
        body_zh_hans="您的资金安全，稍后到账。",
        problem_types=["topup_withdrawal"],
        starts_at=datetime(2026, 1, 10, 1, 0, tzinfo=UTC),
    )


@pytest.fixture
def phishing():
    return make_announcement(
        severity="critical",
        title_en=PHISHING_EN,
        title_zh_hans=PHISHING_ZH,
        problem_types=[],
    )


def page(client, url: str, language: str = "en") -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "title", "other_title"),
    [("en", WITHDRAWALS_EN, WITHDRAWALS_ZH), ("zh-hans", WITHDRAWALS_ZH, WITHDRAWALS_EN)],
)
def test_home_page_shows_live_announcements_in_the_visitor_language(
    client, withdrawals, language, title, other_title
):
    content = page(client, reverse("home"), language)

    assert title in content
    assert other_title not in content
    assert 'class="announcement announcement--warning" role="status"' in content


def test_home_page_accepts_chinese_from_the_browser(client, withdrawals):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    assert WITHDRAWALS_ZH in response.content.decode()


def test_banner_tells_severity_in_words_and_times_in_the_site_time_zone(client, withdrawals):
    content = page(client, reverse("home"))

    assert '<span class="announcement__severity">Warning</span>' in content
    # 01:00 UTC is 09:00 in Asia/Shanghai, the site's time zone.
    assert "Since Jan. 10, 2026, 9 a.m. (UTC+0800), until further notice" in content


def test_a_critical_announcement_is_an_alert(client, phishing):
    content = page(client, reverse("home"))

    assert 'class="announcement announcement--critical" role="alert"' in content
    assert '<span class="announcement__severity">Critical</span>' in content


def test_no_banner_without_a_live_announcement(client):
    make_announcement(title_en="Draft notice", is_published=False)

    content = page(client, reverse("home"))

    assert 'class="announcements"' not in content
    assert "chat-launcher__notice" not in content
    assert "Draft notice" not in content


@pytest.mark.parametrize(
    ("language", "title"), [("en", WITHDRAWALS_EN), ("zh-hans", WITHDRAWALS_ZH)]
)
def test_matching_faq_category_and_article_show_the_announcement(
    client, withdrawals, phishing, language, title
):
    category = make_category(slug="top-up-and-withdrawal")
    article = make_article(category)

    category_page = page(client, reverse("faq:category", args=[category.slug]), language)
    article_page = page(client, article.get_absolute_url(), language)

    for content in (category_page, article_page):
        assert title in content
        assert (PHISHING_EN if language == "en" else PHISHING_ZH) in content


def test_other_faq_categories_show_only_announcements_for_every_problem(
    client, withdrawals, phishing
):
    make_category(slug="account-security")
    make_category(slug="contact-channels")

    for slug in ("account-security", "contact-channels"):
        content = page(client, reverse("faq:category", args=[slug]))
        assert PHISHING_EN in content
        # The launcher carries the most severe one only, so the other title is nowhere.
        assert WITHDRAWALS_EN not in content


@pytest.mark.parametrize(
    ("language", "title"), [("en", WITHDRAWALS_EN), ("zh-hans", WITHDRAWALS_ZH)]
)
def test_contact_form_shows_the_announcements_for_the_chosen_problem(
    client, withdrawals, language, title
):
    withdrawal_form = page(client, reverse("tickets:contact") + "?type=topup_withdrawal", language)
    security_form = page(client, reverse("tickets:contact") + "?type=account_security", language)

    assert title in withdrawal_form
    assert 'class="announcements"' not in security_form


def test_chat_page_shows_the_announcements_for_the_problem_when_known(client, withdrawals):
    chat_url = reverse("livechat:chat")

    assert WITHDRAWALS_EN in page(client, chat_url)
    assert WITHDRAWALS_EN in page(client, chat_url + "?type=topup_withdrawal")
    assert WITHDRAWALS_EN not in page(client, chat_url + "?type=account_security")


def test_chat_launcher_carries_the_most_severe_announcement(client, withdrawals, phishing):
    make_category(slug="contact-channels")

    content = page(client, reverse("faq:category", args=["contact-channels"]), "zh-hans")

    launcher = content[content.index('class="chat-launcher"') :]
    assert "chat-launcher__notice--critical" in launcher
    assert PHISHING_ZH in launcher
    assert WITHDRAWALS_ZH not in launcher


def test_pages_read_announcements_from_the_cache(client, withdrawals):
    client.get(reverse("home"))

    with CaptureQueriesContext(connection) as captured:
        content = page(client, reverse("home"))

    assert WITHDRAWALS_EN in content
    assert not [query for query in captured if "announcements_announcement" in query["sql"]]
