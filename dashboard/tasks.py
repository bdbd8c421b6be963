"""The dashboard's figures, computed ahead of the page by Celery beat."""

from celery import shared_task

from dashboard import services


# Named as before the dashboard had an app of its own, so a beat entry or a task already queued
# under that name still runs.
@shared_task(name="tickets.tasks.refresh_dashboard", ignore_result=True)
def refresh_dashboard() -> None:
    """Recompute the figures of every period the dashboard shows."""
    services.dashboard_refresh()
