"""The Celery application; configured from Django settings prefixed with CELERY_."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallet_support.settings")

# Every task's base (unless it names another): a broker outage never fails the sender.
app = Celery("wallet_support", task_cls="common.task_base:DeskTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def task_outcome_count(task, outcome: str) -> None:
    """Count a task retried or failed for good, by task name, in the counters that the metrics
    endpoint reads (common.metrics); a task that sends mail counts as a mail failure too."""
    from smtplib import SMTPException

    from common.metrics import metrics_count

    name = getattr(task, "name", None) or "unknown"
    metrics_count(series=f"celery_tasks_{outcome}", label=name)
    if SMTPException in getattr(task, "autoretry_for", ()):
        metrics_count(series="mail_failures", label=outcome)


@signals.task_retry.connect
def _task_retried(sender=None, **kwargs) -> None:
    task_outcome_count(sender, "retried")


@signals.task_failure.connect
def _task_failed(sender=None, **kwargs) -> None:
    task_outcome_count(sender, "failed")


@signals.worker_process_init.connect
def _worker_connections_kept(**kwargs) -> None:
    """Each pool process keeps its database connection for WORKER_CONN_MAX_AGE: opening one per
    task cost a routing or mail task more than its own queries (docs/benchmarks.md, issue 24)."""
    from django.conf import settings
    from django.db import connections

    for connection in connections.all():
        connection.settings_dict["CONN_MAX_AGE"] = settings.WORKER_CONN_MAX_AGE


@signals.task_prerun.connect
@signals.task_postrun.connect
def _worker_connections_checked(task=None, **kwargs) -> None:
    """Around each task, as Django does around each request: a connection past its age, or one
    that failed and no longer answers, is closed (the next query opens a new one)."""
    if task is not None and not getattr(task.request, "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()
