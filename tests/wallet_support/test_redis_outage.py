"""Redis away (issue 21, faults): the cache and the Celery broker point at a port where nothing
listens, so every call meets a real refused connection. Pages still answer from the database;
a ticket filed meanwhile is saved once and answered as filed; its confirmation mail is kept for
staff to resend; the periodic routing sweep routes it once the broker is back. Before, every
public page answered 500, and a filed ticket answered 500 after it was saved."""

import pytest
from django.urls import reverse

from common.metrics import metrics_read
from mail.models import BROKER_UNAVAILABLE, FailedMail
from tests.support.factories import contact_data, make_article, make_category, make_ticket
from tests.support.processes import free_port
from tickets import routing, tasks
from tickets.models import Ticket
from wallet_support.celery import app as celery_app

pytestmark = pytest.mark.django_db
DEAD = f"redis://127.0.0.1:{free_port()}/0"
PUBLIC_PAGES = ["/", "/faq/", "/security/", "/verify/", "/chat/", "/contact/?type=other"]


@pytest.fixture
def cache_away(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.ResilientRedisCache",
            "LOCATION": DEAD,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.FAQ_VIEW_COUNTS_BATCHED = True


@pytest.fixture
def broker_away(monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setitem(celery_app.conf, "broker_url", DEAD)
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_public_pages_answer_while_the_cache_is_away(client, cache_away, language):
    category = make_category(slug="wallets")
    article = make_article(category, slug="backup")

    for path in [*PUBLIC_PAGES, f"/faq/{category.slug}/", f"/faq/{category.slug}/{article.slug}/"]:
        response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, path

    article.refresh_from_db()
    assert article.view_count == 1  # counted on the row while the cache cannot count it


def test_a_ticket_filed_while_redis_is_away_is_saved_once_kept_and_routed_later(
    client, cache_away, broker_away, django_capture_on_commit_callbacks
):
    data = contact_data("other")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{reverse('tickets:contact')}?type=other", data)

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.needs_routing
    failed = FailedMail.objects.get()
    assert failed.error == BROKER_UNAVAILABLE
    assert failed.task_name == "tickets.tasks.send_ticket_confirmation"
    assert failed.arguments == [ticket.pk]
    assert failed.can_resend

    assert routing.tickets_route_waiting() == 1
    ticket.refresh_from_db()
    assert not ticket.needs_routing
    assert ticket.team is not None
    assert routing.tickets_route_waiting() == 0


def test_the_routing_sweep_runs_on_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["route-waiting-tickets"]

    assert entry["task"] == "tickets.tasks.route_waiting_tickets"
    assert entry["schedule"] == settings.ROUTING_SWEEP_SECONDS
    assert entry["task"] in celery_app.tasks


def test_a_task_the_broker_refuses_is_counted_and_the_caller_goes_on(broker_away):
    ticket = make_ticket()

    assert tasks.send_ticket_confirmation.delay(ticket.pk) is None
    assert tasks.route_ticket.apply_async(args=[ticket.pk], queue="payments") is None

    counted = metrics_read(
        series="celery_tasks_unqueued",
        labels=["tickets.tasks.send_ticket_confirmation", "tickets.tasks.route_ticket"],
    )
    assert counted == {
        "tickets.tasks.send_ticket_confirmation": 1,
        "tickets.tasks.route_ticket": 1,
    }
    assert FailedMail.objects.get().arguments == [ticket.pk]  # only the mail task is kept
