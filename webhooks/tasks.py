"""Celery tasks of the event webhooks: thin, id-taking, retried with backoff around the POST."""

from celery import shared_task


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def deliver_event(self, delivery_id: int) -> str:
    """POST one signed event to its subscription; a failure that may pass is tried again later
    (the service counts the attempts and gives up after WEBHOOKS_MAX_ATTEMPTS)."""
    from webhooks import services

    try:
        result = services.delivery_attempt(delivery_id=delivery_id)
    except services.DeliveryBusy as busy:
        raise self.retry(countdown=busy.retry_in + 1) from None
    if result is None or result.ok:
        return "done"
    if self.request.is_eager:
        # The embedded default runs tasks in the request: one attempt, never a blocking loop.
        return "pending"
    delay = services.delivery_retry_delay(delivery_id=delivery_id)
    if delay is None:
        return "failed"
    raise self.retry(countdown=delay)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def requeue_stale_deliveries() -> int:
    """Beat, every five minutes: deliveries whose task was lost are queued again."""
    from webhooks import services

    return services.deliveries_requeue_stale()
