"""Public pages are served from a cache (common.page_cache): any edit of what they show forgets
them, now and again after commit (a page rendered in between could hold the rows as they were)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from common.page_cache import page_cache_bump
from faq.models import Article, Category


def forget_pages(sender, **kwargs) -> None:
    page_cache_bump()
    transaction.on_commit(page_cache_bump)


for model in (Article, Category):
    post_save.connect(forget_pages, sender=model, dispatch_uid=f"page_cache_{model.__name__}_saved")
    post_delete.connect(
        forget_pages, sender=model, dispatch_uid=f"page_cache_{model.__name__}_deleted"
    )
