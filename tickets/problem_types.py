"""One row per problem type: the priority its tickets start with, the Celery queue its tasks go
to, and the evidence the contact form and the API ask for (a schema of tickets.evidence).

Routing rules (data, edited in the admin) may still give a ticket another team and priority; the
default rules shipped by migration 0003 give every type the priority below.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms

from tickets import evidence
from tickets.models import Priority, ProblemType


@dataclass(frozen=True)
class ProblemTypeFacts:
    default_priority: str
    queue: str
    evidence: Callable[[], dict[str, forms.Field]]


PROBLEM_TYPES: dict[str, ProblemTypeFacts] = {
    ProblemType.ACCOUNT_SECURITY: ProblemTypeFacts(
        Priority.URGENT, "security", evidence.account_security
    ),
    ProblemType.ABNORMAL_TRANSACTION: ProblemTypeFacts(
        Priority.HIGH, "transactions", evidence.abnormal_transaction
    ),
    ProblemType.TOPUP_WITHDRAWAL: ProblemTypeFacts(
        Priority.NORMAL, "payments", evidence.topup_withdrawal
    ),
    # High: what the default routing rule for frozen accounts has always made of these tickets.
    ProblemType.ACCOUNT_FROZEN: ProblemTypeFacts(
        Priority.HIGH, "security", evidence.account_frozen
    ),
    ProblemType.OTHER: ProblemTypeFacts(Priority.LOW, "default", evidence.nothing),
}


def problem_type_facts(problem_type: str) -> ProblemTypeFacts:
    """The row of a problem type. A type the desk no longer has (a row stored before it was
    removed) is treated as "something else", so its ticket still shows, routes and queues."""
    return PROBLEM_TYPES.get(problem_type, PROBLEM_TYPES[ProblemType.OTHER])


def evidence_fields(problem_type: str) -> dict[str, forms.Field]:
    """The facts support needs for this problem type, as fresh form fields."""
    return problem_type_facts(problem_type).evidence()
