"""Help-centre pages: both languages, breadcrumbs, votes, bad input, fixed query counts."""

import pytest
from django.test import Client
from django.urls import reverse

from common.page_cache import page_cache_bump
from faq.models import Article, ArticleVote
from faq.tasks import flush_article_views
from tests.support.factories import make_article, make_category


def article_url(slug: str) -> str:
    article = Article.objects.select_related("category").get(slug=slug)
    return reverse("faq:article", args=[article.category.slug, article.slug])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title_field"), [("en", "title_en"), ("zh-hans", "title_zh_hans")]
)
def test_article_page_renders_in_each_language(client, help_centre, language, title_field):
    article = Article.objects.get(slug="stolen-account-first-minutes")

    response = client.get(article_url(article.slug), HTTP_ACCEPT_LANGUAGE=language)

    content = response.content.decode()
    assert response.status_code == 200
    assert getattr(article, title_field) in content
    assert 'class="breadcrumbs' in content
    assert reverse("faq:category", args=[article.category.slug]) in content
    assert "Related articles" in content or "相关文章" in content


@pytest.mark.django_db
def test_article_page_counts_views(client, help_centre):
    url = article_url("fake-support-scams")
    client.get(url)
    client.get(url)
    flush_article_views()  # where views are counted in the shared cache first

    assert Article.objects.get(slug="fake-support-scams").view_count == 2


@pytest.mark.django_db
def test_article_in_wrong_category_redirects_to_its_own(client, help_centre):
    article = Article.objects.select_related("category").get(slug="fake-support-scams")
    other = Article.objects.exclude(category=article.category).select_related("category").first()

    response = client.get(reverse("faq:article", args=[other.category.slug, article.slug]))

    assert response.status_code == 301
    assert response["Location"] == article_url(article.slug)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/faq/no-such-category/", "/faq/contact-channels/no-such-article/", "/faq/x/y/vote/"],
)
def test_unknown_slugs_are_404(client, help_centre, path):
    response = client.get(path) if not path.endswith("vote/") else client.post(path)

    assert response.status_code == 404


@pytest.mark.django_db
def test_draft_article_is_404_for_visitors(client):
    category = make_category()
    draft = make_article(category, status=Article.Status.DRAFT)

    assert client.get(reverse("faq:article", args=[category.slug, draft.slug])).status_code == 404


@pytest.mark.django_db
def test_vote_without_javascript_redirects_and_counts_once(client, help_centre):
    url = article_url("fake-support-scams")
    vote_url = url + "vote/"

    first = client.post(vote_url, {"helpful": "yes"})
    second = client.post(vote_url, {"helpful": "no"})
    page = client.get(url).content.decode()

    assert first.status_code == 302
    assert first["Location"] == url + "#helpful"
    assert second.status_code == 302
    article = Article.objects.get(slug="fake-support-scams")
    assert (article.helpful_count, article.not_helpful_count) == (1, 0)
    assert "Thank you for your feedback." in page


@pytest.mark.django_db
def test_vote_with_javascript_answers_json(client, help_centre):
    vote_url = article_url("fake-support-scams") + "vote/"

    first = client.post(vote_url, {"helpful": "no"}, HTTP_ACCEPT="application/json")
    again = client.post(vote_url, {"helpful": "no"}, HTTP_ACCEPT="application/json")

    assert first.json()["recorded"] is True
    assert again.json()["recorded"] is False
    assert Article.objects.get(slug="fake-support-scams").not_helpful_count == 1


@pytest.mark.django_db
def test_votes_from_different_visitors_all_count(help_centre):
    vote_url = article_url("fake-support-scams") + "vote/"
    for _ in range(3):
        Client().post(vote_url, {"helpful": "yes"})

    assert Article.objects.get(slug="fake-support-scams").helpful_count == 3
    assert ArticleVote.objects.count() == 3


@pytest.mark.django_db
def test_vote_bad_value_is_refused_and_not_counted(client, help_centre):
    vote_url = article_url("fake-support-scams") + "vote/"

    response = client.post(vote_url, {"helpful": "maybe"}, HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Choose yes or no."
    assert ArticleVote.objects.count() == 0


@pytest.mark.django_db
def test_vote_needs_csrf_token(help_centre):
    client = Client(enforce_csrf_checks=True)

    response = client.post(article_url("fake-support-scams") + "vote/", {"helpful": "yes"})

    assert response.status_code == 403
    assert ArticleVote.objects.count() == 0


@pytest.mark.django_db
def test_vote_get_is_not_allowed(client, help_centre):
    assert client.get(article_url("fake-support-scams") + "vote/").status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_index_and_category_pages_render(client, help_centre, language):
    index = client.get(reverse("faq:index"), HTTP_ACCEPT_LANGUAGE=language)
    category_url = reverse("faq:category", args=["account-security"])
    category = client.get(category_url, HTTP_ACCEPT_LANGUAGE=language)

    assert index.status_code == 200
    assert category.status_code == 200
    assert "stolen-account-first-minutes" in category.content.decode()


@pytest.mark.django_db
def test_home_page_has_search_tiles_and_channel_guide(client, help_centre):
    content = client.get("/").content.decode()

    assert reverse("faq:search") in content
    assert reverse("faq:suggest") in content
    assert "Account security" in content
    assert "Live chat" in content
    assert 'href="/contact/"' in content


@pytest.mark.django_db
def test_security_page_lists_official_domains(client, settings):
    settings.SUPPORT_OFFICIAL_DOMAINS = ["help.example-wallet.test"]
    settings.SUPPORT_SOCIAL_ACCOUNTS = ["Weibo: @ExampleWallet"]

    content = client.get(reverse("security")).content.decode()

    assert "https://help.example-wallet.test" in content
    assert "Weibo: @ExampleWallet" in content
    assert "recovery phrase" in content


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_security_page_links_to_the_agent_check(client, language):
    content = client.get(reverse("security"), HTTP_ACCEPT_LANGUAGE=language).content.decode()

    # The check's own button, in the section that tells how to check an agent.
    section = content.split('id="check-agent"', 1)[1].split("</section>", 1)[0]
    assert f'href="{reverse("livechat:verify")}"' in section


def page_queries(client, django_assert_max_num_queries, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/faq/",
        "/faq/account-security/",
        "/faq/account-security/stolen-account-first-minutes/",
        "/faq/search/?q=withdrawal+提现",
        "POST /faq/search/ withdrawal 提现",
        "POST /faq/suggest/ withdrawal",
    ],
)
def test_pages_run_a_fixed_number_of_queries(client, help_centre, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def load():
        page_cache_bump()  # the rendering is measured, not the cached copy (common.page_cache)
        if url.startswith("POST "):
            path, query = url.removeprefix("POST ").split(" ", 1)
            return client.post(path, {"q": query})
        return client.get(url)

    load()
    connection.queries_log.clear()  # a full log (9,000 queries) would count zero
    with CaptureQueriesContext(connection) as before:
        load()
    category = Article.objects.get(slug="stolen-account-first-minutes").category
    for _ in range(20):
        make_article(category)
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as after:
        load()

    assert len(after) == len(before), [q["sql"] for q in after.captured_queries]
    assert len(after) <= 4


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "never"), [("en", "Never:"), ("zh-hans", "绝不会：")])
def test_security_page_marks_never_with_a_cross_and_links_verify(client, language, never):
    page = client.get("/security/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    section = page[page.index('id="never-ask"') : page.index("official-domains")]

    assert 'class="never-list"' in section
    assert "checklist" not in section
    assert section.count(f'<span class="visually-hidden">{never} </span>') == 5
    assert 'href="/verify/"' in section
