"""One row per problem type: the priority its tickets start with, the Celery queue its tasks go
to, and the evidence the contact form and the API ask for (a schema of tickets.evidence).

Routing rules (data, edited in the admin) may still give a ticket another team and priority; the
default rules shipped by migration 0003 give every type the priority below.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings

from tickets import evidence
from tickets.models import Priority, ProblemType


@dataclass(frozen=True)
class ProblemTypeFacts:
    default_priority: str
    queue: str
    evidence: Callable[[], dict[str, forms.Field]]
    # Minutes a live chat may wait for an agent before it becomes a left message (the
    # SUPPORT_CHAT_WAIT_MINUTES setting overrides them).
    chat_wait_minutes: int


PROBLEM_TYPES: dict[str, ProblemTypeFacts] = {
    ProblemType.ACCOUNT_SECURITY: ProblemTypeFacts(
        Priority.URGENT, "security", evidence.account_security, chat_wait_minutes=3
    ),
    ProblemType.ABNORMAL_TRANSACTION: ProblemTypeFacts(
        Priority.HIGH, "transactions", evidence.abnormal_transaction, chat_wait_minutes=5
    ),
    ProblemType.TOPUP_WITHDRAWAL: ProblemTypeFacts(
        Priority.NORMAL, "payments", evidence.topup_withdrawal, chat_wait_minutes=8
    ),
    # High: what the default routing rule for frozen accounts has always made of these tickets.
    ProblemType.ACCOUNT_FROZEN: ProblemTypeFacts(
        Priority.HIGH, "security", evidence.account_frozen, chat_wait_minutes=5
    ),
    ProblemType.OTHER: ProblemTypeFacts(
        Priority.LOW, "default", evidence.nothing, chat_wait_minutes=10
    ),
}


def problem_type_facts(problem_type: str) -> ProblemTypeFacts:
    """The row of a problem type. A type the desk no longer has (a row stored before it was
    removed) is treated as "something else", so its ticket still shows, routes and queues."""
    return PROBLEM_TYPES.get(problem_type, PROBLEM_TYPES[ProblemType.OTHER])


def evidence_fields(problem_type: str) -> dict[str, forms.Field]:
    """The facts support needs for this problem type, as fresh form fields."""
    return problem_type_facts(problem_type).evidence()


def chat_wait_minutes(problem_type: str) -> int:
    """How long a chat of this type may wait in the queue before it is kept as a message."""
    override = settings.SUPPORT_CHAT_WAIT_MINUTES.get(problem_type)
    return override if override is not None else problem_type_facts(problem_type).chat_wait_minutes
