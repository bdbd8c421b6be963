"""Notifying the wallet's backend of account-security reports through a signed webhook."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tickets.models import TicketEvent, WebhookAttempt, WebhookDelivery
from webhooks.signing import DeliveryResult, post_signed

logger = logging.getLogger(__name__)


def webhook_attempt(*, delivery_id: int) -> DeliveryResult | None:
    """One delivery attempt, recorded; None when the delivery is no longer pending."""
    delivery = (
        WebhookDelivery.objects.select_related("ticket")
        .filter(pk=delivery_id, state=WebhookDelivery.State.PENDING)
        .first()
    )
    if delivery is None or not settings.SECURITY_WEBHOOK_URL:
        return None
    result = post_signed(
        settings.SECURITY_WEBHOOK_URL,
        settings.SECURITY_WEBHOOK_SECRET,
        event=delivery.event,
        payload=delivery.payload,
        # The receiver deduplicates on this key: a retry after a lost answer changes nothing.
        idempotency_key=f"wallet-support-{delivery.pk}",
    )
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=result.status_code,
            error=result.error[:200],
            duration_ms=result.duration_ms,
        )
        if result.ok:
            delivered = WebhookDelivery.objects.filter(
                pk=delivery.pk, state=WebhookDelivery.State.PENDING
            ).update(state=WebhookDelivery.State.DELIVERED, delivered_at=timezone.now())
            if delivered:
                TicketEvent.objects.create(
                    ticket=delivery.ticket,
                    kind=TicketEvent.Kind.WEBHOOK,
                    field=delivery.event,
                    new_value=str(result.status_code),
                )
    logger.info(
        "webhook %s for ticket %s: %s",
        delivery.event,
        delivery.ticket.reference,
        result.status_code or result.error,
    )
    return result


def webhook_give_up(*, delivery_id: int) -> None:
    """After the last retry: mark the delivery failed so the admin shows it."""
    WebhookDelivery.objects.filter(pk=delivery_id, state=WebhookDelivery.State.PENDING).update(
        state=WebhookDelivery.State.FAILED
    )
