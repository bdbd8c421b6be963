"""Writes of the event webhooks: an event published to its subscriptions, one delivery attempt,
giving up, and the admin's test event.

An event is published inside the transaction of the change it reports: its delivery rows commit
or roll back with that change, and the Celery task that posts each one is queued only after the
commit, so a receiver never hears of something the database does not hold, and nothing committed
goes unannounced for want of a broker at that moment (the rows stay pending, and the admin shows
them).
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from webhooks import selectors
from webhooks.addresses import guarded_connect
from webhooks.events import TEST_EVENT
from webhooks.models import Attempt, Delivery, Subscription
from webhooks.signing import DeliveryResult, post_signed

logger = logging.getLogger(__name__)

# How long a worker holds a delivery while it posts: the longest a POST can take and then some.
CLAIM_MARGIN_SECONDS = 30


def _payload(*, event_id: uuid.UUID, event: str, data: dict, text: dict | None, with_text: bool):
    body = {"id": str(event_id), "event": event, "created_at": timezone.now().isoformat()}
    merged = dict(data)
    if with_text and text:
        # The text goes beside the ids it belongs to: {"message": {"text": ...}}.
        for key, value in text.items():
            merged[key] = {**merged.get(key, {}), **value}
    body["data"] = merged
    return body


def event_publish(*, event: str, data: dict, text: dict | None = None) -> list[Delivery]:
    """Record `event` for each active subscription that asked for it, within the caller's
    transaction, and queue their posting on commit. `data` holds ids and states only; `text`
    ({"message": {"text": ...}}) is merged in for the subscriptions that include text."""
    subscriptions = selectors.subscriptions_for_event(event=event)
    if not subscriptions:
        return []
    event_id = uuid.uuid4()
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(
                subscription_id=subscription.pk,
                event_id=event_id,
                event=event,
                payload=_payload(
                    event_id=event_id,
                    event=event,
                    data=data,
                    text=text,
                    with_text=subscription.include_text,
                ),
            )
            for subscription in subscriptions
        ]
    )
    _queue_on_commit([delivery.pk for delivery in deliveries])
    return deliveries


def _queue_on_commit(delivery_ids: list[int]) -> None:
    from webhooks import tasks

    def queue() -> None:
        for delivery_id in delivery_ids:
            tasks.deliver_event.delay(delivery_id)

    # robust: a broker that is down must not fail the request whose change already committed;
    # the delivery stays pending and deliveries_requeue_stale queues it again.
    transaction.on_commit(queue, robust=True)


def subscription_send_test(*, subscription: Subscription) -> Delivery:
    """The admin's "Send test event": one signed event to this subscription alone, through the
    same queue, retries and attempt records as any other."""
    event_id = uuid.uuid4()
    with transaction.atomic():
        delivery = Delivery.objects.create(
            subscription=subscription,
            event_id=event_id,
            event=TEST_EVENT,
            payload=_payload(
                event_id=event_id,
                event=TEST_EVENT,
                data={"subscription": {"id": subscription.pk}},
                text=None,
                with_text=False,
            ),
        )
        _queue_on_commit([delivery.pk])
    return delivery


class DeliveryBusy(Exception):
    """Another worker is posting this delivery now: try again once its hold has passed."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"held for {retry_in:.0f} s more")
        self.retry_in = retry_in


def _claim(delivery_id: int) -> Delivery | None:
    """The pending delivery, held for this worker; None when it was delivered or given up.
    Raises DeliveryBusy while another worker holds it (a redelivered copy of the task)."""
    now = timezone.now()
    hold = settings.WEBHOOKS_TIMEOUT_SECONDS * 3 + CLAIM_MARGIN_SECONDS
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id, state=Delivery.State.PENDING)
            .first()
        )
        if delivery is None:
            return None
        if delivery.claimed_until and delivery.claimed_until > now:
            raise DeliveryBusy((delivery.claimed_until - now).total_seconds())
        delivery.claimed_until = now + timedelta(seconds=hold)
        delivery.save(update_fields=["claimed_until"])
    return delivery


def delivery_attempt(*, delivery_id: int) -> DeliveryResult | None:
    """One POST of a pending delivery, recorded; None when there is nothing to post (delivered
    or given up), so a success is never followed by another POST. A failure that may pass is
    left pending for the task's retry, until WEBHOOKS_MAX_ATTEMPTS attempts were made."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    subscription = delivery.subscription
    if not subscription.is_active:
        Delivery.objects.filter(pk=delivery.pk).update(
            state=Delivery.State.FAILED, claimed_until=None
        )
        return None
    try:
        result = post_signed(
            subscription.url,
            subscription.secret,
            event=delivery.event,
            payload=delivery.payload,
            idempotency_key=str(delivery.event_id),
            timeout=settings.WEBHOOKS_TIMEOUT_SECONDS,
            connect=None if settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS else guarded_connect,
        )
    except ValueError as exc:
        # A URL or secret the form would refuse now (edited in the database, say).
        result = DeliveryResult(
            ok=False, status_code=None, error=str(exc)[:200], duration_ms=0, retryable=False
        )
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            status_code=result.status_code,
            error=result.error[:200],
            duration_ms=result.duration_ms,
        )
        changes = {"claimed_until": None}
        if result.ok:
            changes |= {"state": Delivery.State.DELIVERED, "delivered_at": timezone.now()}
        elif not result.retryable or delivery.attempts.count() >= settings.WEBHOOKS_MAX_ATTEMPTS:
            changes |= {"state": Delivery.State.FAILED}
        Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.PENDING).update(**changes)
    # The URL and payload stay out of the log: a query string may carry a token.
    logger.info(
        "webhook %s to subscription %s: %s",
        delivery.event,
        subscription.pk,
        result.status_code or result.error,
    )
    return result


def deliveries_requeue_stale(*, now=None) -> int:
    """Queue again the pending deliveries nobody is working on: no attempt (or no new one) for
    twice the longest backoff, and not held. Their task was lost (a broker down at commit, a
    queue purged); a live retry chain never waits that long, so none runs twice in parallel."""
    from webhooks import tasks

    now = now or timezone.now()
    quiet_since = now - timedelta(seconds=2 * settings.WEBHOOKS_RETRY_MAX_SECONDS + 60)
    stale = (
        Delivery.objects.filter(state=Delivery.State.PENDING, created_at__lt=quiet_since)
        .exclude(claimed_until__gt=now)
        .exclude(attempts__attempted_at__gte=quiet_since)
        .values_list("pk", flat=True)
    )
    requeued = 0
    for delivery_id in stale:
        tasks.deliver_event.delay(delivery_id)
        requeued += 1
    return requeued


def deliveries_forget_tickets(*, references: list[str]) -> int:
    """A customer's data is deleted (privacy): their tickets' deliveries go too, whatever they
    carry (a payload with text holds what the customer wrote). Returns how many."""
    if not references:
        return 0
    _total, by_model = Delivery.objects.filter(
        payload__data__ticket__reference__in=references
    ).delete()
    return by_model.get(Delivery._meta.label, 0)


def delivery_retry_delay(*, delivery_id: int) -> float | None:
    """Seconds until the next attempt of a pending delivery (exponential backoff over the
    attempts made: base, 2 × base, 4 × base... up to WEBHOOKS_RETRY_MAX_SECONDS); None when
    it is no longer pending."""
    delivery = Delivery.objects.filter(pk=delivery_id, state=Delivery.State.PENDING).first()
    if delivery is None:
        return None
    made = delivery.attempts.count()
    base = settings.WEBHOOKS_RETRY_BASE_SECONDS
    return min(settings.WEBHOOKS_RETRY_MAX_SECONDS, base * 2 ** max(0, made - 1))
