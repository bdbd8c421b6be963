"""Celery tasks of the help centre."""

from celery import shared_task

from faq import services


# Beat runs it every FAQ_VIEW_FLUSH_SECONDS (CELERY_BEAT_SCHEDULE).
@shared_task(name="faq.tasks.flush_article_views", ignore_result=True)
def flush_article_views() -> int:
    return services.article_views_flush()
