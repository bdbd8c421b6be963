"""A Celery pool process keeps its PostgreSQL connection from task to task (issue 24: opening one
per task cost a routing or mail task more than its own queries), and still replaces one that is
too old or that the server dropped. The tasks' signals are sent as the worker sends them, with
Celery's own Django fix-up beside ours."""

import psycopg2
import pytest
from celery import signals
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from tickets.tasks import route_ticket
from wallet_support import celery


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.fixture
def pool_process(postgres, monkeypatch):
    """This process as a freshly forked pool process: connections as settings make them."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    fixup = DjangoWorkerFixup(celery.app)
    celery._worker_connections_kept()

    def run_task() -> int:
        signals.task_prerun.send(sender=route_ticket, task=route_ticket, task_id="t", args=[])
        fixup.on_task_prerun(sender=route_ticket)
        pid = backend_pid()
        signals.task_postrun.send(sender=route_ticket, task=route_ticket, task_id="t", args=[])
        fixup.on_task_postrun(sender=route_ticket)
        return pid

    return run_task


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_pool_process_keeps_its_connection_from_task_to_task(pool_process):
    pids = {pool_process() for _ in range(5)}

    assert len(pids) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_connection_the_server_dropped_is_replaced_before_the_next_task(pool_process):
    first = pool_process()
    admin = psycopg2.connect(**connection.get_connection_params())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
    admin.close()

    assert pool_process() not in {first, None}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_age_of_zero_opens_a_connection_per_task(settings, monkeypatch, postgres):
    settings.WORKER_CONN_MAX_AGE = 0
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    celery._worker_connections_kept()

    def run_task() -> int:
        signals.task_prerun.send(sender=route_ticket, task=route_ticket, task_id="t", args=[])
        pid = backend_pid()
        signals.task_postrun.send(sender=route_ticket, task=route_ticket, task_id="t", args=[])
        return pid

    assert len({run_task() for _ in range(3)}) == 3
