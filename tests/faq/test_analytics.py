"""Search analytics for editors: poor searches kept (never a secret), "what was missing?" after a
"No", both without JavaScript, and shown in the admin."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from faq import services
from faq.models import Article, ArticleVote, SearchLog
from tests.support.auth import login_with_second_factor
from tests.support.leaks import recovery_phrase


def article_url(slug: str) -> str:
    article = Article.objects.select_related("category").get(slug=slug)
    return reverse("faq:article", args=[article.category.slug, article.slug])


@pytest.mark.django_db
def test_search_with_no_results_is_kept_for_editors(client, help_centre):
    client.post(reverse("faq:search"), {"q": "zyxwv qwrtp"})

    row = SearchLog.objects.get()
    assert (row.query, row.result_count, row.source) == ("zyxwv qwrtp", 0, "search")
    assert row.week.weekday() == 0


@pytest.mark.django_db
def test_search_with_good_results_is_not_kept(client, help_centre):
    client.post(reverse("faq:search"), {"q": "提现"})

    assert not SearchLog.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["english", "chinese_simplified"])
def test_search_with_a_recovery_phrase_is_never_kept(client, help_centre, language):
    phrase = recovery_phrase(language)

    client.post(reverse("faq:search"), {"q": phrase})
    client.post(reverse("faq:suggest"), {"q": phrase})

    assert not SearchLog.objects.exists()


def test_search_record_scans_for_secrets_itself(db):
    """Whatever the caller checked, the service asks the guard again."""
    recorded = services.search_record(
        query=f"help {recovery_phrase()}", language="en", source="api", result_count=0
    )

    assert recorded is False
    assert not SearchLog.objects.exists()


def test_search_record_trims_and_keeps_no_visitor(db):
    services.search_record(
        query="  a   b  " + "x" * 300, language="en", source="api", result_count=1
    )

    row = SearchLog.objects.get()
    assert row.query.startswith("a b x")
    assert len(row.query) == 200
    assert not any("visitor" in field.name for field in SearchLog._meta.fields)


@pytest.mark.django_db
def test_search_query_never_goes_into_an_address(client, help_centre):
    response = client.post(reverse("faq:search"), {"q": "zyxwv"})
    page = response.content.decode()

    assert 'method="post"' in page
    assert "?q=" not in page


@pytest.mark.django_db
def test_no_vote_without_javascript_asks_what_was_missing(client, help_centre):
    url = article_url("set-up-2fa")

    response = client.post(url + "vote/", {"helpful": "no"}, follow=True)

    page = response.content.decode()
    assert "What was missing?" in page
    assert 'name="missing"' in page
    assert 'aria-describedby="id_missing_helptext"' in page
    assert 'id="id_missing_helptext"' in page


@pytest.mark.django_db
def test_missing_answer_is_saved_on_the_visitors_no_vote_once(client, help_centre):
    url = article_url("set-up-2fa")
    client.post(url + "vote/", {"helpful": "no"})

    response = client.post(url + "missing/", {"missing": "How to move 2FA to a new phone"})
    client.post(url + "missing/", {"missing": "second answer overwrites nothing"})

    assert response.status_code == 302
    vote = ArticleVote.objects.get()
    assert vote.missing == "How to move 2FA to a new phone"
    page = client.get(url).content.decode()
    assert "Thank you for your feedback." in page
    assert 'name="missing"' not in page


@pytest.mark.django_db
def test_missing_answer_with_a_recovery_phrase_is_refused_and_not_saved(client, help_centre):
    url = article_url("set-up-2fa")
    client.post(url + "vote/", {"helpful": "no"})

    response = client.post(url + "missing/", {"missing": recovery_phrase()}, follow=True)

    assert ArticleVote.objects.get().missing == ""
    assert recovery_phrase() not in response.content.decode()


@pytest.mark.django_db
def test_missing_answer_without_a_no_vote_is_ignored(client, help_centre):
    url = article_url("set-up-2fa")
    client.post(url + "vote/", {"helpful": "yes"})

    client.post(url + "missing/", {"missing": "nothing"})

    assert ArticleVote.objects.get().missing == ""


@pytest.mark.django_db
def test_yes_vote_with_javascript_still_answers_json(client, help_centre):
    vote_url = article_url("set-up-2fa") + "vote/"

    response = client.post(vote_url, {"helpful": "yes"}, HTTP_ACCEPT="application/json")

    assert response.json()["recorded"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "contact", "chat"),
    [("en", "Contact support", "Start a live chat"), ("zh-hans", "联系客服", "开始在线聊天")],
)
def test_still_need_help_panel_has_contact_and_chat_buttons(
    client, help_centre, language, contact, chat
):
    client.cookies["django_language"] = language
    with translation.override(language):
        page = client.get(article_url("set-up-2fa"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        contact_url = reverse("tickets:contact")
        chat_url = reverse("livechat:chat")

    panel = page[page.index('id="still-need-help"') :]
    assert f'href="{contact_url}"' in panel
    assert f'href="{chat_url}"' in panel
    assert contact in panel
    assert chat in panel


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["searchlog", "articlevote", "searchsynonym"])
def test_admin_lists_the_analytics(client, superuser, help_centre, model):
    services.search_record(query="staking", language="zh-hans", source="search", result_count=0)
    article = Article.objects.get(slug="set-up-2fa")
    ArticleVote.objects.create(article=article, visitor="v", helpful=False, missing="新手机")
    login_with_second_factor(client, superuser)

    response = client.get(reverse(f"admin:faq_{model}_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    if model == "searchlog":
        assert "staking" in page
    if model == "articlevote":
        assert "新手机" in page
        today = timezone.localdate()
        assert str((today - dt.timedelta(days=today.weekday())).year) in page
