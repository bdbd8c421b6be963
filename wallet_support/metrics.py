"""The Prometheus endpoint `/metrics`, for operators only (docs/metrics.md lists its series).

Three kinds of figures:

* requests and sockets, counted by each server process with prometheus-client. Uvicorn runs
  several processes, so `wallet_support.serve` sets `PROMETHEUS_MULTIPROC_DIR` (emptied at
  start) and each process writes its counters there; the endpoint, answered by any one process,
  adds them all up (prometheus-client's multiprocess mode). Without it (runserver, tests) the
  figures are the one process's own.
* the desk's gauges (tickets, SLA, chats, agents, Celery queues), computed from PostgreSQL and
  Redis when scraped: a few grouped queries under a statement timeout, and one Redis pipeline,
  kept for `METRICS_CACHE_SECONDS` so several scrapers cost no more than one. A source that
  fails or times out is reported by `wallet_support_metrics_source_up` and leaves the rest.
* event counters that workers and web processes add to in Redis (common.metrics): guard
  refusals, Celery tasks retried, failed and not queued, mail failures.

Access: `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time), or a staff user
logged in with the second factor. Anyone else gets 404, as if there were nothing here.
"""

import hmac
import logging
import os
import threading
import time
from contextlib import contextmanager

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from agents.selectors import chat_agents_available
from common.metrics import metrics_read
from guard.models import SECRET_KIND_CHOICES, GuardEvent
from livechat.models import Conversation
from tickets.admin.queue import at_risk_q, breached_q
from tickets.models import Status, Ticket
from tickets.problem_types import PROBLEM_TYPES

logger = logging.getLogger(__name__)
PREFIX = "wallet_support"
STATEMENT_TIMEOUT_MS = 2000
REDIS_TIMEOUT_SECONDS = 1.0
OPEN_STATUSES = [Status.NEW, Status.OPEN, Status.PENDING]

REQUESTS = Counter(
    f"{PREFIX}_http_requests", "HTTP requests answered.", ["method", "view", "status"]
)
REQUEST_SECONDS = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SOCKETS_OPENED = Counter(f"{PREFIX}_websocket_connections", "Sockets accepted.", ["kind"])
SOCKETS_REFUSED = Counter(
    f"{PREFIX}_websocket_refused", "Socket handshakes refused after the origin check.", ["kind"]
)
SOCKETS_OPEN = Gauge(
    f"{PREFIX}_websocket_open", "Sockets open now.", ["kind"], multiprocess_mode="livesum"
)
SOCKET_FRAMES = Counter(
    f"{PREFIX}_websocket_frames", "Socket frames, received and sent.", ["kind", "direction"]
)


# Requests and sockets -------------------------------------------------------------------------


class RequestMetricsMiddleware:
    """Count each answered request by method, view name and status, and time it. Sync and
    async alike, so it adds no thread hop to either kind of stack."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if iscoroutinefunction(self):
            return self._acall(request)
        started = time.perf_counter()
        response = self.get_response(request)
        _count_request(request, response, started)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = await self.get_response(request)
        _count_request(request, response, started)
        return response


def _count_request(request: HttpRequest, response: HttpResponse, started: float) -> None:
    match = getattr(request, "resolver_match", None)
    view = (match.view_name if match else "") or "unmatched"
    method = request.method if request.method in _METHODS else "other"
    REQUESTS.labels(method, view, str(response.status_code)).inc()
    REQUEST_SECONDS.labels(method, view).observe(time.perf_counter() - started)


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def socket_kind(path: str) -> str:
    if path.startswith("/ws/agent/"):
        return "agent"
    if path.startswith("/ws/chat/"):
        return "chat"
    return "other"


class SocketMetrics:
    """ASGI middleware for the sockets: accepted, refused, open now, frames each way."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        kind = socket_kind(scope.get("path", ""))
        state = {"accepted": False}
        frames_in = SOCKET_FRAMES.labels(kind, "in")
        frames_out = SOCKET_FRAMES.labels(kind, "out")

        async def counted_receive():
            message = await receive()
            if message["type"] == "websocket.receive":
                frames_in.inc()
            return message

        async def counted_send(message):
            kind_of = message["type"]
            if kind_of == "websocket.send":
                frames_out.inc()
            elif kind_of == "websocket.accept" and not state["accepted"]:
                state["accepted"] = True
                SOCKETS_OPENED.labels(kind).inc()
                SOCKETS_OPEN.labels(kind).inc()
            elif kind_of == "websocket.close" and not state["accepted"]:
                SOCKETS_REFUSED.labels(kind).inc()
            await send(message)

        try:
            return await self.application(scope, counted_receive, counted_send)
        finally:
            if state["accepted"]:
                SOCKETS_OPEN.labels(kind).dec()


# The desk's gauges ----------------------------------------------------------------------------


@contextmanager
def _bounded_queries():
    """A transaction whose statements PostgreSQL stops after STATEMENT_TIMEOUT_MS."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = %s", [STATEMENT_TIMEOUT_MS])
        yield


def _team(code: str | None) -> str:
    return code or "unassigned"


def tickets_figures(now) -> dict:
    with _bounded_queries():
        open_rows = list(
            Ticket.objects.filter(status__in=OPEN_STATUSES)
            .values("team__code", "status")
            .annotate(count=Count("id"))
            .order_by()
        )
        at_risk = list(
            Ticket.objects.filter(at_risk_q(now))
            .values("team__code")
            .annotate(count=Count("id"))
            .order_by()
        )
        breached = list(
            Ticket.objects.filter(breached_q(now))
            .values("team__code")
            .annotate(count=Count("id"))
            .order_by()
        )
    return {
        "open": {(_team(row["team__code"]), row["status"]): row["count"] for row in open_rows},
        "at_risk": {_team(row["team__code"]): row["count"] for row in at_risk},
        "breached": {_team(row["team__code"]): row["count"] for row in breached},
    }


def chat_figures(now) -> dict:
    with _bounded_queries():
        waiting = list(
            Conversation.objects.filter(status=Conversation.Status.QUEUED)
            .values("problem_type")
            .annotate(count=Count("id"), oldest=Min("queued_at"))
            .order_by()
        )
        agents = chat_agents_available().count()
    return {
        "waiting": {row["problem_type"]: row["count"] for row in waiting},
        "longest_wait": {
            row["problem_type"]: max(0.0, (now - row["oldest"]).total_seconds()) for row in waiting
        },
        "agents_available": agents,
    }


def celery_queue_names() -> list[str]:
    names = {settings.CELERY_TASK_DEFAULT_QUEUE}
    names.update(facts.queue for facts in PROBLEM_TYPES.values())
    return sorted(names)


def celery_figures() -> dict[str, int]:
    """Messages waiting in each Celery queue: one LLEN each, in one pipeline."""
    import redis

    from wallet_support.redis_pool import shared_client

    broker = settings.CELERY_BROKER_URL
    timeouts = {
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
    }
    if broker.startswith("sentinel://"):
        # The primary the sentinels name now (docs/high-availability.md).
        client = shared_client(**timeouts)
    elif broker.startswith(("redis://", "rediss://")):
        client = _redis_clients.get(broker)
        if client is None:
            client = _redis_clients.setdefault(broker, redis.Redis.from_url(broker, **timeouts))
    else:
        return {}
    names = celery_queue_names()
    pipeline = client.pipeline(transaction=False)
    for name in names:
        pipeline.llen(name)
    return dict(zip(names, pipeline.execute(), strict=True))


_redis_clients: dict = {}


def event_figures() -> dict:
    from wallet_support.celery import app

    guard_labels = [
        f"{source}:{kind}" for source in GuardEvent.Source.values for kind, _ in SECRET_KIND_CHOICES
    ]
    task_names = sorted(name for name in app.tasks if not name.startswith("celery."))
    return {
        "guard": metrics_read(series="guard_refusals", labels=guard_labels),
        "retried": metrics_read(series="celery_tasks_retried", labels=task_names),
        "failed": metrics_read(series="celery_tasks_failed", labels=task_names),
        "unqueued": metrics_read(series="celery_tasks_unqueued", labels=task_names),
        "mail": metrics_read(series="mail_failures", labels=["retried", "failed"]),
    }


SOURCES = {
    "tickets": tickets_figures,
    "chats": chat_figures,
    "celery": lambda now: celery_figures(),
    "events": lambda now: event_figures(),
}


def desk_figures() -> dict:
    """Every source's figures, or None for a source that failed (logged)."""
    now = timezone.now()
    figures = {}
    for name, source in SOURCES.items():
        try:
            figures[name] = source(now)
        except Exception:
            logger.warning("metrics source %s failed", name, exc_info=True)
            figures[name] = None
    return figures


class _Snapshot:
    """The desk's figures, kept for METRICS_CACHE_SECONDS in this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.taken_at = -float("inf")
        self.figures: dict = {}

    def get(self) -> dict:
        with self.lock:
            if time.monotonic() - self.taken_at >= settings.METRICS_CACHE_SECONDS:
                self.figures = desk_figures()
                self.taken_at = time.monotonic()
            return self.figures

    def forget(self) -> None:
        with self.lock:
            self.taken_at = -float("inf")


snapshot = _Snapshot()


def _gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=labels)


class DeskCollector:
    """The desk's own series, from the snapshot."""

    def collect(self):
        figures = snapshot.get()
        up = _gauge(
            "metrics_source_up", "1 when the source answered at the last scrape.", ["source"]
        )
        for name in SOURCES:
            up.add_metric([name], 0 if figures.get(name) is None else 1)
        yield up
        if tickets := figures.get("tickets"):
            yield from self._tickets(tickets)
        if chats := figures.get("chats"):
            yield from self._chats(chats)
        if (queues := figures.get("celery")) is not None:
            family = _gauge("celery_queue_length", "Tasks waiting in a Celery queue.", ["queue"])
            for queue, length in sorted(queues.items()):
                family.add_metric([queue], length)
            yield family
        if events := figures.get("events"):
            yield from self._events(events)

    def _tickets(self, tickets: dict):
        family = _gauge(
            "tickets_open", "Tickets not yet resolved, per team and status.", ["team", "status"]
        )
        for (team, status), count in sorted(tickets["open"].items()):
            family.add_metric([team, status], count)
        yield family
        for key, text in [
            ("at_risk", "Tickets past the SLA warning point, not yet breached."),
            ("breached", "Tickets past a running SLA deadline."),
        ]:
            family = _gauge(f"tickets_sla_{key}", text, ["team"])
            for team, count in sorted(tickets[key].items()):
                family.add_metric([team], count)
            yield family

    def _chats(self, chats: dict):
        waiting = _gauge("chats_waiting", "Chats waiting for an agent.", ["problem_type"])
        longest = _gauge(
            "chats_longest_wait_seconds", "How long the oldest waiting chat has waited.",
            ["problem_type"],
        )  # fmt: skip
        for problem_type in PROBLEM_TYPES:
            waiting.add_metric([problem_type], chats["waiting"].get(problem_type, 0))
            longest.add_metric([problem_type], chats["longest_wait"].get(problem_type, 0.0))
        yield waiting
        yield longest
        agents = _gauge("agents_available", "Chat agents online with a console beating.", [])
        agents.add_metric([], chats["agents_available"])
        yield agents

    def _events(self, events: dict):
        guard = CounterMetricFamily(
            f"{PREFIX}_guard_refusals", "Secrets refused by the guard.", labels=["source", "kind"]
        )
        for label, count in sorted(events["guard"].items()):
            guard.add_metric(label.split(":", 1), count)
        yield guard
        for outcome in ("retried", "failed", "unqueued"):
            family = CounterMetricFamily(
                f"{PREFIX}_celery_tasks_{outcome}", f"Celery tasks {outcome}.", labels=["task"]
            )
            for task, count in sorted(events[outcome].items()):
                family.add_metric([task], count)
            yield family
        mail = CounterMetricFamily(
            f"{PREFIX}_mail_failures",
            "Mail that could not be sent: retried later, or failed for good.",
            labels=["outcome"],
        )
        for outcome in ("retried", "failed"):
            mail.add_metric([outcome], events["mail"].get(outcome, 0))
        yield mail


# The endpoint ---------------------------------------------------------------------------------


def scrape_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in list(REGISTRY._collector_to_names):
            registry.register(collector)
    registry.register(DeskCollector())
    return registry


def operator_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and given:
        return hmac.compare_digest(given.strip().encode(), token.encode())
    user = getattr(request, "user", None)
    return bool(
        user is not None
        and user.is_active
        and user.is_staff
        and getattr(user, "is_verified", lambda: False)()
    )


def metrics(request: HttpRequest) -> HttpResponse:
    if not operator_allowed(request):
        raise Http404("no such page")
    body = generate_latest(scrape_registry())
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
