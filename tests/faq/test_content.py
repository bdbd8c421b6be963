"""The shipped help centre: enough, bilingual, linked correctly, loaded once."""

import re

import pytest

from faq.models import Article, Category
from faq.services import help_centre_load

INTERNAL_LINK = re.compile(r"\]\(/faq/([a-z0-9-]+)/([a-z0-9-]+)/\)")


@pytest.mark.django_db
def test_help_centre_has_six_categories_and_thirty_articles_per_language(help_centre):
    assert Category.objects.count() >= 6
    articles = Article.objects.published()
    assert articles.count() >= 30
    for article in articles:
        for field in ("title", "summary", "body"):
            assert getattr(article, f"{field}_en").strip(), (article.slug, field)
            assert getattr(article, f"{field}_zh_hans").strip(), (article.slug, field)
        assert re.search(r"[\u4e00-\u9fff]", article.body_zh_hans), article.slug


@pytest.mark.django_db
def test_help_centre_links_point_to_published_articles(help_centre):
    articles = Article.objects.published().select_related("category")
    published = {(a.category.slug, a.slug) for a in articles}
    for article in Article.objects.all():
        for body in (article.body_en, article.body_zh_hans):
            for link in INTERNAL_LINK.findall(body):
                assert link in published, (article.slug, link)


@pytest.mark.django_db
def test_help_centre_covers_the_topics_users_need(help_centre):
    slugs = set(Article.objects.values_list("slug", flat=True))
    required = {"stolen-account-first-minutes", "fake-support-scams", "never-share-recovery-phrase"}
    assert required <= slugs
    text = " ".join(Article.objects.values_list("body_en", flat=True)).lower()
    topics = ("two-factor", "recovery phrase", "private key", "withdrawal", "phishing", "frozen")
    for topic in topics:
        assert topic in text, topic


@pytest.mark.django_db
def test_help_centre_load_rerun_creates_nothing_twice(help_centre):
    categories, articles = Category.objects.count(), Article.objects.count()

    report = help_centre_load()

    assert report.created == 0
    assert Category.objects.count() == categories
    assert Article.objects.count() == articles


@pytest.mark.django_db
def test_help_centre_load_keeps_editor_changes_unless_asked(help_centre):
    article = Article.objects.get(slug="fake-support-scams")
    article.title_en = "Edited by the support team"
    article.save()

    help_centre_load()
    assert Article.objects.get(pk=article.pk).title_en == "Edited by the support team"

    report = help_centre_load(update=True)
    assert report.updated >= 1
    assert Article.objects.get(pk=article.pk).title_en != "Edited by the support team"
