"""Public pages are served from a cache (common.page_cache): any edit of what they show forgets
them, now and again after commit (a page rendered in between could hold the rows as they were)."""

from django.db.models.signals import post_delete, post_save

from common.page_cache import page_cache_forget
from faq.models import Article, Category

for model in (Article, Category):
    post_save.connect(
        page_cache_forget, sender=model, dispatch_uid=f"page_cache_{model.__name__}_saved"
    )
    post_delete.connect(
        page_cache_forget, sender=model, dispatch_uid=f"page_cache_{model.__name__}_deleted"
    )
