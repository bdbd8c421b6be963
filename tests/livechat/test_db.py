"""The consumers' database thread keeps its connection and skips needless health checks."""

import pytest
from asgiref.sync import async_to_sync
from django.db import connection

from agents.models import Team
from livechat.db import chat_db


def count_teams() -> int:
    return Team.objects.count()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_connection_that_just_answered_is_reused_without_a_health_check(postgres, monkeypatch):
    checks = []
    real_is_usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or real_is_usable())

    async_to_sync(chat_db(count_teams))()
    first = connection.connection
    for _ in range(3):
        async_to_sync(chat_db(count_teams))()

    assert connection.connection is first  # kept between calls, not reopened
    assert checks == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_connection_idle_for_a_while_is_checked_again(postgres, monkeypatch):
    checks = []
    real_is_usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or real_is_usable())

    async_to_sync(chat_db(count_teams))()
    connection.chat_answered_at -= 60
    async_to_sync(chat_db(count_teams))()

    assert checks == [1]
