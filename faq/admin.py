from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from faq import services
from faq.models import Article, ArticleVote, Category, SearchLog, SearchSynonym
from faq.text import render_markdown


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("title_en", "title_zh_hans", "slug", "order", "is_published")
    list_editable = ("order", "is_published")
    search_fields = ("title_en", "title_zh_hans", "slug")
    prepopulated_fields = {"slug": ("title_en",)}
    fieldsets = (
        (None, {"fields": ("slug", "order", "icon", "is_published")}),
        (_("English"), {"fields": ("title_en", "description_en")}),
        (_("Chinese"), {"fields": ("title_zh_hans", "description_zh_hans")}),
    )


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = (
        "title_en",
        "title_zh_hans",
        "category",
        "status",
        "order",
        "updated_at",
        "view_count",
        "helpful_count",
        "not_helpful_count",
        "preview_link",
    )
    list_filter = ("status", "category")
    list_select_related = ("category",)
    search_fields = ("title_en", "title_zh_hans", "slug", "keywords_en", "keywords_zh_hans")
    prepopulated_fields = {"slug": ("title_en",)}
    readonly_fields = (
        "created_at",
        "updated_at",
        "view_count",
        "helpful_count",
        "not_helpful_count",
        "preview_link",
    )
    actions = ("publish", "unpublish")
    fieldsets = (
        (None, {"fields": ("category", "slug", "order", "status", "preview_link")}),
        (_("English"), {"fields": ("title_en", "summary_en", "body_en", "keywords_en")}),
        (
            _("Chinese"),
            {"fields": ("title_zh_hans", "summary_zh_hans", "body_zh_hans", "keywords_zh_hans")},
        ),
        (
            _("Statistics"),
            {
                "fields": (
                    "created_at",
                    "updated_at",
                    "view_count",
                    "helpful_count",
                    "not_helpful_count",
                )
            },
        ),
    )

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("<int:article_id>/preview/", preview, name="faq_article_preview"),
            *super().get_urls(),
        ]

    @admin.display(description=_("preview"))
    def preview_link(self, article: Article) -> str:
        if not article.pk:
            return "-"
        url = reverse("admin:faq_article_preview", args=[article.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("Preview"))

    def preview_view(self, request, article_id: int):
        """The article as visitors will see it, drafts included, in the admin's language."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        article = get_object_or_404(Article.objects.select_related("category"), pk=article_id)
        context = {
            "article": article,
            "body_html": render_markdown(article.body),
            "category": article.category,
            "related": [],
            "preview": True,
        }
        return render(request, "faq/article.html", context)

    @admin.action(description=_("Publish the selected articles"))
    def publish(self, request, queryset):
        count = services.articles_status_set(articles=queryset, status=Article.Status.PUBLISHED)
        self.message_user(
            request,
            ngettext("%(count)d article published.", "%(count)d articles published.", count)
            % {"count": count},
        )

    @admin.action(description=_("Unpublish (back to draft)"))
    def unpublish(self, request, queryset):
        count = services.articles_status_set(articles=queryset, status=Article.Status.DRAFT)
        self.message_user(
            request,
            ngettext(
                "%(count)d article moved to draft.", "%(count)d articles moved to draft.", count
            )
            % {"count": count},
            messages.WARNING,
        )


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    list_display = ("term", "variants", "is_active", "updated_at")
    list_editable = ("is_active",)
    list_filter = ("is_active",)
    search_fields = ("term", "variants")
    fields = ("term", "variants", "is_active")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.search_synonyms_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.search_synonyms_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        services.search_synonyms_changed()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.search_synonyms_changed()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by visitors' searches and votes: editors read them, nobody edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SearchLog)
class SearchLogAdmin(ReadOnlyAdmin):
    list_display = ("query", "result_count", "language", "source", "week", "created_at")
    list_filter = ("week", "language", "source", "result_count")
    search_fields = ("query",)
    date_hierarchy = "created_at"


@admin.register(ArticleVote)
class ArticleVoteAdmin(ReadOnlyAdmin):
    list_display = ("article", "helpful", "missing", "week", "created_at")
    list_filter = ("helpful", "article__category", "created_at")
    list_select_related = ("article",)
    search_fields = ("missing", "article__title_en", "article__title_zh_hans")
    date_hierarchy = "created_at"
    exclude = ("visitor",)

    @admin.display(description=_("week starting"))
    def week(self, vote: ArticleVote):
        day = vote.created_at.date()
        return day - timedelta(days=day.weekday())
