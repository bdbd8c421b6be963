"""Small builders for help-centre rows in tests."""

from itertools import count

from faq.models import Article, Category

_sequence = count(1)


def make_category(**overrides) -> Category:
    number = next(_sequence)
    values = {
        "slug": f"category-{number}",
        "order": number,
        "title_en": f"Category {number}",
        "title_zh_hans": f"分类{number}",
    }
    values.update(overrides)
    return Category.objects.create(**values)


def make_article(category: Category, **overrides) -> Article:
    number = next(_sequence)
    values = {
        "category": category,
        "slug": f"article-{number}",
        "order": number,
        "status": Article.Status.PUBLISHED,
        "title_en": f"Filler article {number} about fees",
        "title_zh_hans": f"关于手续费的文章{number}",
        "summary_en": "A filler summary.",
        "summary_zh_hans": "一段填充摘要。",
        "body_en": "Some body text about network fees and confirmations.",
        "body_zh_hans": "关于网络手续费和确认数的正文。",
    }
    values.update(overrides)
    article = Article(**values)
    article.save()
    return article
