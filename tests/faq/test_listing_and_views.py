"""Help-centre listings stay the same size however large the help centre grows, and article
views are counted without a row write per view where a shared cache holds the counts."""

import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.page_cache import page_cache_bump
from faq import selectors
from faq.models import Article
from faq.services import article_record_view, article_views_flush
from faq.tasks import flush_article_views
from tests.support.factories import make_article, make_category


@pytest.fixture
def big_category(db):
    category = make_category(slug="fees", title_en="Fees", title_zh_hans="手续费")
    articles = [make_article(category, order=number) for number in range(45)]
    make_article(category, status=Article.Status.DRAFT)
    return category, articles


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_index_shows_a_bounded_number_of_articles_and_links_the_rest(
    client, big_category, language
):
    category, articles = big_category

    response = client.get(reverse("faq:index"), HTTP_ACCEPT_LANGUAGE=language)

    content = response.content.decode()
    shown = [a for a in articles if reverse("faq:article", args=["fees", a.slug]) in content]
    assert shown == articles[: selectors.INDEX_ARTICLES]
    link = "All 45 articles" if language == "en" else "全部 45 篇文章"
    assert link in content
    assert f'href="{category.get_absolute_url()}"' in content


def test_index_costs_the_same_queries_and_size_with_many_articles(client, big_category):
    category, _ = big_category
    client.get(reverse("faq:index"))
    page_cache_bump()  # the rendering is measured, not the cached copy
    connection.queries_log.clear()  # a full log (9,000 queries) would count zero
    with CaptureQueriesContext(connection) as few:
        small = client.get(reverse("faq:index")).content
    for number in range(200):
        make_article(category, order=100 + number)
    client.get(reverse("faq:index"))  # values cached for seconds may have expired meanwhile

    page_cache_bump()
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as many:
        large = client.get(reverse("faq:index")).content

    assert len(many) == len(few) > 0
    assert abs(len(large) - len(small)) < 50  # only the count in "All 245 articles" grows


def test_a_small_category_has_no_all_articles_link(client, db):
    category = make_category(slug="tiny")
    make_article(category)

    content = client.get(reverse("faq:index")).content.decode()

    assert "All 1 article" not in content


@pytest.mark.parametrize(
    ("page", "expected_first"), [(None, 0), ("2", 30), ("abc", 0), ("99", 30), ("-1", 30)]
)
def test_category_page_is_paginated_and_forgives_bad_page_numbers(
    client, big_category, page, expected_first
):
    category, articles = big_category
    query = {} if page is None else {"page": page}

    response = client.get(category.get_absolute_url(), query)

    assert response.status_code == 200
    listed = list(response.context["page"].object_list)
    assert listed[0] == articles[expected_first]
    assert len(listed) == (30 if expected_first == 0 else 15)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_category_page_links_its_pages_in_each_language(client, big_category, language):
    category, _ = big_category

    first = client.get(category.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language)
    second = client.get(category.get_absolute_url(), {"page": 2}, HTTP_ACCEPT_LANGUAGE=language)

    first_html, second_html = first.content.decode(), second.content.decode()
    assert 'href="?page=2" rel="next"' in first_html
    assert 'href="?page=1" rel="prev"' in second_html
    assert ("Page 2 of 2" if language == "en" else "第 2 页，共 2 页") in second_html


# View counts -----------------------------------------------------------------------------
@pytest.fixture
def batched(settings):
    settings.FAQ_VIEW_COUNTS_BATCHED = True
    cache.clear()
    yield
    cache.clear()


def test_batched_views_write_no_row_until_the_flush(client, big_category, batched):
    _, articles = big_category
    article = articles[0]
    url = reverse("faq:article", args=["fees", article.slug])

    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            client.get(url)
    article.refresh_from_db()

    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert article.view_count == 0
    assert flush_article_views() == 3
    article.refresh_from_db()
    assert article.view_count == 3
    assert flush_article_views() == 0  # nothing counted twice


def test_views_counted_during_a_flush_are_kept_for_the_next(big_category, batched):
    _, articles = big_category
    first, second = articles[0], articles[1]
    for _ in range(5):
        article_record_view(article_id=first.pk)
    article_record_view(article_id=second.pk)
    real_get_many = cache.get_many

    def get_many_then_more_views(keys):
        found = real_get_many(keys)
        for _ in range(2):  # views that arrive after the flush read the counts
            article_record_view(article_id=first.pk)
        return found

    cache.get_many = get_many_then_more_views
    try:
        assert article_views_flush() == 6
    finally:
        del cache.get_many
    assert article_views_flush() == 2

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.view_count, second.view_count) == (7, 1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_views_are_all_counted(batched):
    category = make_category(slug="busy")
    article = make_article(category)

    def view():
        for _ in range(25):
            article_record_view(article_id=article.pk)
        connection.close()

    threads = [threading.Thread(target=view) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert article_views_flush() == 100
    article.refresh_from_db()
    assert article.view_count == 100


def test_unbatched_default_writes_the_row(client, big_category, settings):
    settings.FAQ_VIEW_COUNTS_BATCHED = False
    _, articles = big_category

    client.get(reverse("faq:article", args=["fees", articles[0].slug]))

    articles[0].refresh_from_db()
    assert articles[0].view_count == 1


def test_views_reach_the_cache_once_a_second_not_once_a_view(big_category, batched, monkeypatch):
    from faq import services

    _, articles = big_category
    clock = [1000.0]
    monkeypatch.setattr(services.time, "monotonic", lambda: clock[0])
    increments = []
    real_incr = cache.incr

    def counted_incr(key, delta=1, **kwargs):
        increments.append(key)
        return real_incr(key, delta, **kwargs)

    cache.incr = counted_incr  # as the test above does: the cache proxies its backend
    try:
        article_record_view(article_id=articles[0].pk)  # the first is pushed at once
        pushed_first = len(increments)

        for _ in range(40):
            article_record_view(article_id=articles[0].pk)
        article_record_view(article_id=articles[1].pk)
        assert len(increments) == pushed_first  # held in the process

        clock[0] += 1.0
        article_record_view(article_id=articles[1].pk)  # a second later: pushed, one per article

        assert len(increments) - pushed_first == 2
    finally:
        del cache.incr
    assert article_views_flush() == 43
