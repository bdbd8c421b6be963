"""The Prometheus endpoint (wallet_support/metrics.py): for operators only, with the desk's own
gauges computed in a few bounded queries, the request and socket figures, the event counters
that workers add to, and every server process's counters added up."""

import json
import logging
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from guard.models import GuardEvent
from guard.refusals import Refusal
from guard.services import refusals_record
from livechat.models import Conversation
from tests.support.auth import login_with_second_factor
from tests.support.chat import communicator, run, visitor_cookie
from tests.support.factories import make_agent, make_conversation, make_ticket
from tickets.models import Status, Ticket
from wallet_support import metrics as desk_metrics
from wallet_support.celery import task_outcome_count
from wallet_support.logs import JsonFormatter

TOKEN = "m" * 40
URL = "/metrics"


@pytest.fixture(autouse=True)
def operator_token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.RATE_LIMITS_ENABLED = False
    desk_metrics.snapshot.forget()
    yield
    desk_metrics.snapshot.forget()


def scrape(client: Client | None = None, **headers) -> dict[tuple, float]:
    client = client or Client()
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    return series(response.content.decode())


def series(text: str) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, name: str, **labels) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


# Who may read it ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer ",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"Basic {TOKEN}",
        f"Bearer {TOKEN.upper()}",
        f"Bearer {TOKEN}\u200b",
    ],
)
def test_without_the_token_there_is_nothing_here(authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}

    response = Client().get(URL, **headers)

    assert response.status_code == 404
    assert b"wallet_support_" not in response.content


@pytest.mark.django_db
def test_the_sockets_servers_address_is_as_closed_and_as_open():
    assert Client().get("/ws/metrics").status_code == 404
    response = Client().get("/ws/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert b"wallet_support_" in response.content


@pytest.mark.django_db
def test_no_token_configured_means_no_token_is_accepted(settings):
    settings.METRICS_TOKEN = ""

    assert Client().get(URL, HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert Client().get(URL, HTTP_AUTHORIZATION="Bearer None").status_code == 404


@pytest.mark.django_db
def test_staff_need_the_second_factor(django_user_model):
    agent = make_agent("transactions")
    customer = django_user_model.objects.create_user(username="customer", password="x" * 20)
    half_logged_in, verified, not_staff = Client(), Client(), Client()
    half_logged_in.force_login(agent)
    login_with_second_factor(verified, agent)
    login_with_second_factor(not_staff, customer)

    assert half_logged_in.get(URL).status_code == 404
    assert not_staff.get(URL).status_code == 404
    assert verified.get(URL).status_code == 200


def test_a_short_token_is_refused_at_start_up():
    environment = {**os.environ, "SECRET_KEY": "t", "METRICS_TOKEN": "short"}
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**environment, "DJANGO_SETTINGS_MODULE": "wallet_support.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert started.returncode != 0
    assert "METRICS_TOKEN is too short" in started.stderr


# The desk's gauges ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_open_tickets_per_team_and_status_at_risk_and_breached():
    now = timezone.now()
    fresh, at_risk, breached, solved = (make_ticket() for _ in range(4))
    team = fresh.team.code if fresh.team else "unassigned"
    Ticket.objects.filter(pk=at_risk.pk).update(
        first_response_warn_at=now - timedelta(minutes=1),
        first_response_due=now + timedelta(minutes=30),
    )
    Ticket.objects.filter(pk=breached.pk).update(
        first_response_warn_at=now - timedelta(hours=2),
        first_response_due=now - timedelta(minutes=5),
    )
    Ticket.objects.filter(pk=solved.pk).update(status=Status.RESOLVED)

    found = scrape()

    assert value(found, "wallet_support_tickets_open", team=team, status=fresh.status) == 3
    assert value(found, "wallet_support_tickets_open", team=team, status="resolved") is None
    assert value(found, "wallet_support_tickets_sla_at_risk", team=team) == 1
    assert value(found, "wallet_support_tickets_sla_breached", team=team) == 1
    assert value(found, "wallet_support_metrics_source_up", source="tickets") == 1


@pytest.mark.django_db
def test_chats_waiting_longest_wait_and_agents_available():
    make_agent("transactions", console=True)
    make_agent("transactions")  # online, but no console beating: not available
    waiting = make_conversation("visitor-1", "abnormal_transaction")
    make_conversation("visitor-2", "abnormal_transaction")
    taken = make_conversation("visitor-3", "abnormal_transaction")
    Conversation.objects.filter(pk=taken.pk).update(status=Conversation.Status.ACTIVE)
    Conversation.objects.filter(pk=waiting.pk).update(
        queued_at=timezone.now() - timedelta(minutes=4)
    )

    found = scrape()

    assert value(found, "wallet_support_chats_waiting", problem_type="abnormal_transaction") == 2
    assert value(found, "wallet_support_chats_waiting", problem_type="other") == 0
    longest = value(
        found, "wallet_support_chats_longest_wait_seconds", problem_type="abnormal_transaction"
    )
    assert 235 <= longest <= 300
    assert value(found, "wallet_support_agents_available") == 1


@pytest.mark.django_db
def test_guard_refusals_and_mail_failures_are_counted(django_capture_on_commit_callbacks):
    from inbound.tasks import send_too_large_notice as send_mail_task

    with django_capture_on_commit_callbacks(execute=True):
        refusals_record(
            [Refusal(field="description", kind="recovery_phrase")] * 2,
            source=GuardEvent.Source.CONTACT_FORM,
        )
    task_outcome_count(send_mail_task, "retried")
    task_outcome_count(send_mail_task, "failed")

    found = scrape()

    assert (
        value(
            found,
            "wallet_support_guard_refusals_total",
            source=GuardEvent.Source.CONTACT_FORM,
            kind="recovery_phrase",
        )
        == 2
    )
    assert value(found, "wallet_support_mail_failures_total", outcome="retried") == 1
    assert value(found, "wallet_support_mail_failures_total", outcome="failed") == 1
    assert value(found, "wallet_support_celery_tasks_failed_total", task=send_mail_task.name) == 1


@pytest.mark.django_db
def test_the_desk_gauges_cost_a_few_queries_and_are_kept_between_scrapes(
    django_assert_max_num_queries,
):
    for _ in range(5):
        make_ticket()
    make_conversation()

    # Five grouped queries (with two savepoints and, on PostgreSQL, two statement timeouts),
    # however many tickets and chats there are.
    with django_assert_max_num_queries(12):
        scrape()
    for _ in range(10):
        make_ticket()
    with django_assert_max_num_queries(0):
        scrape()  # kept for METRICS_CACHE_SECONDS
    desk_metrics.snapshot.forget()
    with django_assert_max_num_queries(12):
        scrape()


@pytest.mark.django_db
def test_a_failing_source_is_reported_and_the_others_still_answer(monkeypatch, caplog):
    def broken(now):
        raise ConnectionError("redis is away")

    monkeypatch.setitem(desk_metrics.SOURCES, "celery", broken)

    found = scrape()

    assert value(found, "wallet_support_metrics_source_up", source="celery") == 0
    assert value(found, "wallet_support_metrics_source_up", source="tickets") == 1
    assert "metrics source celery failed" in caplog.text


@pytest.mark.needs_redis
@pytest.mark.django_db
def test_celery_queue_lengths_come_from_the_broker(redis_url, settings):
    import redis

    settings.CELERY_BROKER_URL = redis_url
    client = redis.Redis.from_url(redis_url)
    client.delete("default", "security")
    client.rpush("default", "a", "b", "c")
    client.rpush("security", "d")
    try:
        found = scrape()
    finally:
        client.delete("default", "security")

    assert value(found, "wallet_support_celery_queue_length", queue="default") == 3
    assert value(found, "wallet_support_celery_queue_length", queue="security") == 1
    assert value(found, "wallet_support_celery_queue_length", queue="payments") == 0


# Requests and sockets -------------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_are_counted_by_view_and_status():
    before = scrape()
    Client().get("/faq/")
    Client().get("/no-such-page/")

    found = scrape()

    def grew(**labels):
        name = "wallet_support_http_requests_total"
        return (value(found, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert grew(method="GET", view="faq:index", status="200") == 1
    assert grew(method="GET", view="unmatched", status="404") == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sockets_are_counted_open_and_closed():
    conversation = make_conversation("visitor-1")
    cookie = visitor_cookie("visitor-1")

    async def scenario():
        socket = communicator(f"/ws/chat/{conversation.public_id}/", cookie)
        assert (await socket.connect())[0]
        while_open = desk_metrics.SOCKETS_OPEN.labels("chat")._value.get()
        await socket.disconnect()
        return while_open

    before = desk_metrics.SOCKETS_OPEN.labels("chat")._value.get()
    while_open = run(scenario)

    assert while_open == before + 1
    assert desk_metrics.SOCKETS_OPEN.labels("chat")._value.get() == before


def test_every_server_process_is_counted(tmp_path):
    """Uvicorn's processes each write their counters; one scrape adds them up."""
    environment = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "SECRET_KEY": "t",
        "DJANGO_SETTINGS_MODULE": "wallet_support.settings",
    }
    count = (
        "import django; django.setup();"
        "from wallet_support.metrics import REQUESTS;"
        "REQUESTS.labels('GET', 'faq:index', '200').inc(3)"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=environment, check=True, timeout=60)
    read = (
        "import django; django.setup();"
        "from prometheus_client import generate_latest;"
        "from wallet_support import metrics;"
        "metrics.SOURCES.clear();"
        "print(generate_latest(metrics.scrape_registry()).decode())"
    )
    output = subprocess.run(
        [sys.executable, "-c", read],
        env=environment,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout

    found = series(output)
    assert (
        value(
            found,
            "wallet_support_http_requests_total",
            method="GET",
            view="faq:index",
            status="200",
        )
        == 6
    )


# Logs -----------------------------------------------------------------------------------------


def test_json_logs_are_one_object_a_line_with_extras_and_the_traceback():
    record = logging.LogRecord(
        "tickets.services", logging.ERROR, __file__, 1, "filed %s", ("WS-1",), None
    )
    record.ticket = "WS-1"
    try:
        raise ValueError("broken")
    except ValueError:
        record.exc_info = sys.exc_info()

    line = JsonFormatter().format(record)

    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "filed WS-1"
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "tickets.services"
    assert entry["ticket"] == "WS-1"
    assert "ValueError: broken" in entry["exception"]
    assert entry["time"].endswith("+00:00")
