"""Event webhooks end to end in one process: the desk's services publish, a real receiver on
127.0.0.1 checks each signature; failures, recovery, give-up and what a payload may carry."""

import json
import logging
from datetime import timedelta
from uuid import uuid4

import pytest
from django.db import transaction
from django.utils import timezone

from livechat import services as chat_services
from tests.support.channels import ALWAYS_OPEN
from tests.support.factories import (
    WEBHOOK_SECRET,
    make_agent,
    make_conversation,
    make_subscription,
)
from tests.support.webhook_receiver import ACCEPT, FAIL, HANG
from tickets import services as ticket_services
from tickets.models import Status
from verification.services import fake_report_file
from webhooks import services
from webhooks.events import EventType
from webhooks.models import Delivery
from webhooks.tasks import deliver_event

pytestmark = pytest.mark.django_db

CUSTOMER_EMAIL = "mei.customer@example.com"
STORY = "My USDT withdrawal to the exchange has not arrived since 9am"


def file_ticket(**overrides):
    data = {
        "problem_type": "abnormal_transaction",
        "channel": "web",
        "subject": "Withdrawal missing",
        "description": STORY,
        "customer_email": CUSTOMER_EMAIL,
        "wallet_account_id": "WA-77",
    }
    data.update(overrides)
    return ticket_services.ticket_create(**data)


def test_event_publish_records_one_delivery_per_active_subscription_that_asked(
    django_capture_on_commit_callbacks,
):
    wants = make_subscription("https://a.example/hook", events=[EventType.TICKET_CREATED])
    also = make_subscription("https://b.example/hook")
    make_subscription("https://c.example/hook", events=[EventType.CHAT_CLOSED])
    make_subscription("https://d.example/hook", is_active=False)

    with django_capture_on_commit_callbacks() as queued:
        deliveries = services.event_publish(
            event=EventType.TICKET_CREATED, data={"ticket": {"reference": "WS-1"}}
        )

    assert sorted(d.subscription_id for d in deliveries) == sorted([wants.pk, also.pk])
    assert len({d.event_id for d in Delivery.objects.all()}) == 1
    assert len(queued) == 1  # one callback queues both tasks, after commit
    payload = Delivery.objects.first().payload
    assert payload["event"] == "ticket.created"
    assert payload["id"] == str(deliveries[0].event_id)
    assert payload["data"] == {"ticket": {"reference": "WS-1"}}


def test_an_event_rolls_back_with_the_change_it_reports(django_capture_on_commit_callbacks):
    make_subscription("https://a.example/hook")

    def change_that_fails():
        with transaction.atomic():
            file_ticket()
            raise RuntimeError("the change fails after the event was published")

    with django_capture_on_commit_callbacks() as queued, pytest.raises(RuntimeError):
        change_that_fails()
    assert Delivery.objects.count() == 0
    assert queued == []


def test_a_new_ticket_reaches_the_receiver_signed_with_ids_and_states_only(
    receiver, django_capture_on_commit_callbacks
):
    subscription = make_subscription(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket()

    [request] = receiver.received
    assert request.signature_ok
    assert request.accepted
    assert request.event == "ticket.created"
    payload = request.payload
    assert request.key == payload["id"]
    assert payload["data"]["ticket"] == {
        "reference": ticket.reference,
        "status": "new",
        "problem_type": "abnormal_transaction",
        "priority": ticket.priority,
        "channel": "web",
        "language": "en",
        "wallet_account_id": "WA-77",
    }
    body = request.body.decode()
    assert STORY not in body
    assert "Withdrawal missing" not in body
    assert CUSTOMER_EMAIL not in body
    assert "mei.customer" not in body
    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.state == Delivery.State.DELIVERED
    [attempt] = delivery.attempts.all()
    assert (attempt.status_code, attempt.error) == (204, "")


def test_only_a_subscription_that_includes_text_receives_it(receiver):
    make_subscription(receiver.url, include_text=True, name="with text")
    make_subscription(receiver.url, name="ids only")
    with transaction.atomic():
        ticket = file_ticket()
        agent = make_agent("transactions")
        ticket_services.message_post_agent(ticket=ticket, author=agent, body="It is on its way.")
    deliveries = Delivery.objects.filter(event=EventType.TICKET_AGENT_REPLIED)
    by_name = {d.subscription.name: d.payload for d in deliveries}

    assert by_name["with text"]["data"]["message"]["text"] == "It is on its way."
    assert "text" not in by_name["ids only"]["data"]["message"]
    assert "It is on its way." not in json.dumps(by_name["ids only"])
    created = {
        d.subscription.name: d.payload
        for d in Delivery.objects.filter(event=EventType.TICKET_CREATED)
    }
    assert created["with text"]["data"]["message"]["text"] == STORY
    assert created["with text"]["data"]["ticket"]["subject"] == "Withdrawal missing"
    assert STORY not in json.dumps(created["ids only"])
    assert by_name["with text"]["id"] == by_name["ids only"]["id"]  # one event, one id


def test_every_desk_event_reaches_the_subscriber_once_in_order(
    receiver, django_capture_on_commit_callbacks
):
    make_subscription(receiver.url)
    agent = make_agent("transactions", console=True)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = make_conversation()
    public_id = str(conversation.public_id)
    with django_capture_on_commit_callbacks(execute=True):
        chat_services.conversation_accept(public_id=public_id, agent=agent)
    conversation.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        chat_services.chat_message_post(
            conversation=conversation,
            sender="agent",
            body="Let me check the chain.",
            client_id=uuid4(),
            author=agent,
        )
        chat_services.chat_message_post(
            conversation=conversation, sender="customer", body="Thanks", client_id=uuid4()
        )
    with django_capture_on_commit_callbacks(execute=True):
        chat_services.conversation_close(public_id=public_id, by=agent)
    conversation.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        chat_services.conversation_rate(conversation=conversation, rating=5)
    ticket = conversation.ticket
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.message_post_agent(
            ticket=ticket, author=agent, body="Internal: checked", is_internal=True
        )
        ticket_services.ticket_rate(ticket=ticket, rating=4, comment="quick")
    with django_capture_on_commit_callbacks(execute=True):
        fake_report_file(
            contact="@WalletSupport_Help_Desk",
            where_seen="telegram",
            details="They asked for my recovery words",
            email=CUSTOMER_EMAIL,
            language="en",
        )

    events = [request.event for request in receiver.received]
    assert all(request.signature_ok and request.accepted for request in receiver.received)
    assert len({request.key for request in receiver.received}) == len(receiver.received)
    # Routing (eager here) and the chat's own status moves add status changes between these.
    milestones = [event for event in events if event != "ticket.status_changed"]
    assert milestones == [
        "ticket.created",  # the chat's ticket
        "chat.accepted",
        "ticket.agent_replied",  # the agent's chat message; the customer's is no event
        "chat.closed",
        "rating.received",  # the chat's rating
        "rating.received",  # the ticket's rating; the internal note is no event
        "ticket.created",  # the fake-contact report's ticket
        "security_report.filed",
    ]
    changes = [
        r.payload["data"]["change"] for r in receiver.received if r.event == "ticket.status_changed"
    ]
    assert {"from": "new", "to": "open", "by": "agent"} in changes
    assert {"from": "open", "to": "resolved", "by": "agent"} in changes
    closed = next(r.payload for r in receiver.received if r.event == "chat.closed")
    assert closed["data"]["chat"] == {"id": public_id, "status": "closed"}
    ratings = [
        r.payload["data"]["rating"] for r in receiver.received if r.event == "rating.received"
    ]
    assert ratings == [{"score": 5, "source": "chat"}, {"score": 4, "source": "ticket"}]
    report = receiver.received[-1].payload["data"]
    assert set(report["report"]) == {"id", "kind", "platform", "where_seen"}
    body = b"".join(r.body for r in receiver.received).decode()
    for text in ("Let me check the chain.", "Internal", "quick", "recovery words", CUSTOMER_EMAIL):
        assert text not in body


def test_a_chat_started_with_an_agent_online_is_an_event(receiver, settings):
    settings.SUPPORT_CHANNELS = ALWAYS_OPEN
    make_subscription(receiver.url, events=[EventType.CHAT_STARTED])
    make_agent("transactions", console=True)
    with transaction.atomic():
        started = chat_services.conversation_start(
            name="Mei",
            email=CUSTOMER_EMAIL,
            problem_type="abnormal_transaction",
            message="Where is my transfer?",
            visitor_key="visitor-9",
        )
    [delivery] = Delivery.objects.all()
    assert delivery.event == "chat.started"
    assert delivery.payload["data"]["chat"] == {
        "id": str(started.conversation.public_id),
        "status": "queued",
    }


def test_a_receiver_outage_is_retried_until_it_recovers_then_never_again(receiver, settings):
    """503, then connection refused, then a hang past the timeout, then accepted: four attempts
    recorded, one acceptance, and the next attempt posts nothing."""
    subscription = make_subscription(receiver.url)
    with transaction.atomic():
        [delivery] = services.event_publish(
            event=EventType.TICKET_STATUS_CHANGED, data={"ticket": {"reference": "WS-9"}}
        )

    receiver.mode = FAIL
    first = services.delivery_attempt(delivery_id=delivery.pk)
    receiver.stop()
    second = services.delivery_attempt(delivery_id=delivery.pk)
    receiver.start()
    receiver.mode = HANG
    third = services.delivery_attempt(delivery_id=delivery.pk)
    receiver.mode = ACCEPT
    fourth = services.delivery_attempt(delivery_id=delivery.pk)
    after = services.delivery_attempt(delivery_id=delivery.pk)

    assert [r.retryable for r in (first, second, third)] == [True, True, True]
    assert fourth.ok
    assert after is None
    attempts = list(Delivery.objects.get(pk=delivery.pk).attempts.all())
    assert [a.status_code for a in attempts] == [503, None, None, 204]
    assert attempts[0].error == "HTTP 503: unavailable"
    assert attempts[1].error.startswith("connection failed")
    assert attempts[2].error == "timed out after 1s"
    assert attempts[2].duration_ms >= 900
    assert len(receiver.accepted()) == 1
    assert [r.accepted for r in receiver.received] == [False, False, True]  # refused: no request
    assert receiver.after_acceptance() == []
    assert Delivery.objects.get(pk=delivery.pk).state == Delivery.State.DELIVERED
    assert subscription.deliveries.count() == 1


def test_a_delivery_is_given_up_after_the_last_attempt(receiver, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    make_subscription(receiver.url)
    with transaction.atomic():
        [delivery] = services.event_publish(event=EventType.CHAT_CLOSED, data={})
    receiver.mode = FAIL
    results = [services.delivery_attempt(delivery_id=delivery.pk) for _ in range(4)]

    assert results[3] is None  # failed: nothing more is posted
    assert len(receiver.received) == 3
    assert Delivery.objects.get(pk=delivery.pk).state == Delivery.State.FAILED


def test_a_wrong_signature_is_refused_by_the_receiver_and_not_retried(receiver):
    make_subscription(receiver.url, secret="not-the-receivers-secret-0123456789")
    with transaction.atomic():
        [delivery] = services.event_publish(event=EventType.CHAT_CLOSED, data={})
    result = services.delivery_attempt(delivery_id=delivery.pk)

    assert (result.status_code, result.retryable) == (401, False)
    assert receiver.received[0].signature_ok is False
    assert Delivery.objects.get(pk=delivery.pk).state == Delivery.State.FAILED


def test_the_backoff_doubles_from_the_base_up_to_the_cap(receiver, settings):
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 10
    settings.WEBHOOKS_RETRY_MAX_SECONDS = 35
    make_subscription(receiver.url)
    with transaction.atomic():
        [delivery] = services.event_publish(event=EventType.CHAT_CLOSED, data={})
    receiver.mode = FAIL
    delays = []
    for _ in range(4):
        services.delivery_attempt(delivery_id=delivery.pk)
        delays.append(services.delivery_retry_delay(delivery_id=delivery.pk))
    assert delays == [10, 20, 35, 35]


def test_a_delivery_another_worker_is_posting_is_not_posted_twice(receiver):
    make_subscription(receiver.url)
    with transaction.atomic():
        [delivery] = services.event_publish(event=EventType.CHAT_CLOSED, data={})
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_until=timezone.now() + timedelta(seconds=20)
    )
    with pytest.raises(services.DeliveryBusy) as busy:
        services.delivery_attempt(delivery_id=delivery.pk)
    assert 15 < busy.value.retry_in <= 20
    assert receiver.received == []
    # A hold that has passed (its worker died mid-post) is taken over.
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert services.delivery_attempt(delivery_id=delivery.pk).ok


def test_the_eager_task_makes_one_attempt_and_never_blocks_on_retries(receiver):
    make_subscription(receiver.url)
    with transaction.atomic():
        [delivery] = services.event_publish(event=EventType.CHAT_CLOSED, data={})
    receiver.mode = FAIL
    assert deliver_event.delay(delivery.pk).get() == "pending"
    assert len(receiver.received) == 1
    assert Delivery.objects.get(pk=delivery.pk).state == Delivery.State.PENDING


def test_the_secret_and_the_url_query_never_reach_the_log_or_the_attempts(receiver, caplog):
    url = receiver.url + "?token=receiver-query-token"
    make_subscription(url)
    with transaction.atomic():
        [delivery] = services.event_publish(event=EventType.CHAT_CLOSED, data={})
    receiver.mode = FAIL
    with caplog.at_level(logging.DEBUG):
        services.delivery_attempt(delivery_id=delivery.pk)
        receiver.stop()
        services.delivery_attempt(delivery_id=delivery.pk)
    logged = caplog.text + " ".join(
        a.error for a in Delivery.objects.get(pk=delivery.pk).attempts.all()
    )
    assert caplog.records  # the attempts were logged
    assert WEBHOOK_SECRET not in logged
    assert "receiver-query-token" not in logged


def test_a_status_change_by_the_customer_says_so(receiver, django_capture_on_commit_callbacks):
    make_subscription(receiver.url, events=[EventType.TICKET_STATUS_CHANGED])
    ticket = file_ticket()
    ticket_services.ticket_change_status(ticket=ticket, status=Status.OPEN)
    ticket_services.ticket_change_status(ticket=ticket, status=Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.message_post_customer(ticket=ticket, body="Here is the screenshot")
    changes = [d.payload["data"]["change"] for d in Delivery.objects.order_by("created_at", "id")]
    assert changes[-1] == {"from": "pending", "to": "open", "by": "customer"}


def test_a_delivery_whose_task_was_lost_is_queued_again_and_no_other(receiver, settings):
    settings.WEBHOOKS_RETRY_MAX_SECONDS = 60
    make_subscription(receiver.url)
    with transaction.atomic():
        [lost] = services.event_publish(event=EventType.CHAT_CLOSED, data={})
        [retrying] = services.event_publish(event=EventType.CHAT_STARTED, data={})
        [held] = services.event_publish(event=EventType.CHAT_ACCEPTED, data={})
    long_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.update(created_at=long_ago)
    receiver.mode = FAIL
    services.delivery_attempt(delivery_id=retrying.pk)  # a live retry chain: attempted just now
    Delivery.objects.filter(pk=held.pk).update(claimed_until=timezone.now() + timedelta(seconds=30))
    receiver.mode = ACCEPT

    assert services.deliveries_requeue_stale() == 1  # the eager task posts it at once

    assert [r.event for r in receiver.received] == ["chat.started", "chat.closed"]
    assert Delivery.objects.get(pk=lost.pk).state == Delivery.State.DELIVERED
    assert Delivery.objects.get(pk=retrying.pk).state == Delivery.State.PENDING
    assert services.deliveries_requeue_stale() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_on_one_delivery_post_it_once(postgres, receiver, monkeypatch):
    """A redelivered task running beside the first (PostgreSQL row locks): one POST, the other
    worker is told to come back later."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    make_subscription(receiver.url)
    monkeypatch.setattr(deliver_event, "delay", lambda delivery_id: None)  # the workers below
    [delivery] = services.event_publish(event=EventType.CHAT_CLOSED, data={})
    receiver.accept_delay = 0.5

    def attempt():
        try:
            return services.delivery_attempt(delivery_id=delivery.pk)
        except services.DeliveryBusy as busy:
            return busy
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: attempt(), range(2)))

    assert len(receiver.received) == 1
    assert sorted(type(o).__name__ for o in outcomes) == ["DeliveryBusy", "DeliveryResult"]
    assert Delivery.objects.get(pk=delivery.pk).attempts.count() == 1
