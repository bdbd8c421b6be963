import re

from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import connections, models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from common.i18n import Translated
from faq import text as faq_text


class Category(Translated, models.Model):
    class Icon(models.TextChoices):
        CHAT = "chat", _("Chat")
        SHIELD = "shield", _("Shield")
        SWAP = "swap", _("Swap")
        WALLET = "wallet", _("Wallet")
        LOCK = "lock", _("Lock")
        CLOCK = "clock", _("Clock")
        ALERT = "alert", _("Alert")
        INFO = "info", _("Information")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    icon = models.CharField(_("icon"), max_length=20, choices=Icon.choices, default=Icon.INFO)
    title_en = models.CharField(_("title (English)"), max_length=120)
    title_zh_hans = models.CharField(_("title (Chinese)"), max_length=120)
    description_en = models.CharField(_("description (English)"), max_length=300, blank=True)
    description_zh_hans = models.CharField(_("description (Chinese)"), max_length=300, blank=True)
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("faq:category", args=[self.slug])

    @property
    def title(self) -> str:
        return self.localized("title")

    @property
    def description(self) -> str:
        return self.localized("description")


class PublishedArticleQuerySet(models.QuerySet):
    def published(self) -> "PublishedArticleQuerySet":
        return self.filter(status=Article.Status.PUBLISHED, category__is_published=True)


class Article(Translated, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="articles", verbose_name=_("category")
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh_hans = models.CharField(_("title (Chinese)"), max_length=200)
    summary_en = models.CharField(_("summary (English)"), max_length=400)
    summary_zh_hans = models.CharField(_("summary (Chinese)"), max_length=400)
    body_en = models.TextField(_("body (English, Markdown)"))
    body_zh_hans = models.TextField(_("body (Chinese, Markdown)"))
    keywords_en = models.CharField(_("extra search words (English)"), max_length=300, blank=True)
    keywords_zh_hans = models.CharField(
        _("extra search words (Chinese)"), max_length=300, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)
    view_count = models.PositiveIntegerField(_("views"), default=0, editable=False)
    helpful_count = models.PositiveIntegerField(_("helpful votes"), default=0, editable=False)
    not_helpful_count = models.PositiveIntegerField(
        _("not helpful votes"), default=0, editable=False
    )
    # Derived search documents (see faq/text.py): lower-cased words and CJK bigrams of every
    # language, so one index serves Chinese and English queries alike.
    search_words = models.TextField(editable=False, default="")
    search_vector = SearchVectorField(null=True, editable=False)

    objects = PublishedArticleQuerySet.as_manager()

    class Meta:
        ordering = ["category__order", "order", "id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [models.Index(fields=["category", "status", "order"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        texts = self.weighted_texts()
        self.search_words = faq_text.search_words(texts)
        if connections[kwargs.get("using") or "default"].vendor == "postgresql":
            self.search_vector = search_vector_expression(texts)
        super().save(*args, **kwargs)
        # The expression was written by the database; drop it so the instance stays plain.
        self.search_vector = None
        SearchTerm.remember(self.search_words)

    def get_absolute_url(self) -> str:
        return reverse("faq:article", args=[self.category.slug, self.slug])

    @property
    def title(self) -> str:
        return self.localized("title")

    @property
    def summary(self) -> str:
        return self.localized("summary")

    @property
    def body(self) -> str:
        return self.localized("body")

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def weighted_texts(self) -> dict[str, str]:
        """Searchable text by weight: A titles, B keywords, C summaries, D bodies."""
        return {
            "A": f"{self.title_en}\n{self.title_zh_hans}",
            "B": f"{self.keywords_en}\n{self.keywords_zh_hans}",
            "C": f"{self.summary_en}\n{self.summary_zh_hans}",
            "D": faq_text.markdown_to_text(f"{self.body_en}\n{self.body_zh_hans}"),
        }


def search_vector_expression(weighted_texts: dict[str, str]) -> SearchVector:
    """English words through the English stemmer, CJK text as bigrams, weighted by field."""
    parts = []
    for weight, text in weighted_texts.items():
        english = models.Value(faq_text.without_cjk(text))
        cjk = models.Value(faq_text.cjk_document(text))
        parts.append(SearchVector(english, config="english", weight=weight))
        parts.append(SearchVector(cjk, config="simple", weight=weight))
    vector = parts[0]
    for part in parts[1:]:
        vector = vector + part
    return vector


class SearchTerm(models.Model):
    """The help centre's English vocabulary, for correcting typos in queries (`withdrawl`)."""

    MIN_LENGTH = 4

    word = models.CharField(max_length=64, primary_key=True)

    def __str__(self) -> str:
        return self.word

    @classmethod
    def remember(cls, words: str) -> None:
        cls.objects.bulk_create(
            [
                cls(word=word)
                for word in set(words.split())
                if cls.MIN_LENGTH <= len(word) <= 64 and not word.isdigit()
            ],
            ignore_conflicts=True,
        )


class ArticleVote(models.Model):
    """One "Was this helpful?" answer per visitor per article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    visitor = models.CharField(max_length=64)
    helpful = models.BooleanField()
    # Asked after a "No": what the article did not answer (guard-checked, optional).
    missing = models.TextField(_("what was missing"), blank=True, max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "visitor"], name="faq_one_vote_per_visitor")
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.helpful else '-'}"


class SearchSynonym(models.Model):
    """Ways customers write a word (`账号`, `帳號`, `two factor`), searched as the word the
    articles use (`账户`, `2fa`). Editors extend these in the admin; defaults are seeded."""

    term = models.CharField(
        _("word used in the articles"),
        max_length=60,
        unique=True,
        help_text=_("The word or phrase the articles use, for example 账户 or recovery phrase."),
    )
    variants = models.TextField(
        _("how customers write it"),
        help_text=_(
            "One per line or separated by commas: other words, traditional forms, "
            "abbreviations and common typos, for example 账号, 帳號 or seed phrase."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)

    class Meta:
        ordering = ["term"]
        verbose_name = _("search synonym")
        verbose_name_plural = _("search synonyms")

    def __str__(self) -> str:
        return self.term

    def variant_list(self) -> list[str]:
        return [part.strip() for part in re.split(r"[,，、\n]", self.variants) if part.strip()]


class SearchLog(models.Model):
    """A help-centre search that found nothing or too little, for editors to fill the gap.

    Only queries the recovery-phrase guard let through are stored, and never with who asked.
    """

    class Source(models.TextChoices):
        SEARCH = "search", _("Search page")
        SUGGEST = "suggest", _("Type-ahead and contact form")
        API = "api", _("App (API)")

    query = models.CharField(_("query"), max_length=200)
    language = models.CharField(_("language"), max_length=10)
    source = models.CharField(_("where"), max_length=10, choices=Source.choices)
    result_count = models.PositiveSmallIntegerField(_("results"))
    week = models.DateField(_("week starting"), db_index=True)
    created_at = models.DateTimeField(_("searched at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("search with poor results")
        verbose_name_plural = _("searches with poor results")

    def __str__(self) -> str:
        return self.query
