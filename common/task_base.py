"""The base of the desk's Celery tasks: a broker that cannot take a task never fails the work
that sent it.

Tasks are sent after the transaction that needs them commits, so when Redis (the broker) is
unreachable the ticket, reply or chat is already saved; the error used to reach the customer as
a 500 for a request that had in fact succeeded, and a second try filed it twice. A task that
could not be sent is logged and counted, and `on_unqueued` lets its kind keep what must not be
lost (a mail task records a failed mail for staff to resend; a ticket left unrouted is picked up
by the periodic routing sweep, tickets.tasks.route_waiting_tickets).
"""

import logging

from celery import Task
from kombu.exceptions import OperationalError as BrokerOperationalError

from common.cache import OUTAGE_ERRORS
from common.metrics import metrics_count

logger = logging.getLogger(__name__)

BROKER_ERRORS = (BrokerOperationalError, *OUTAGE_ERRORS)


class DeskTask(Task):
    def apply_async(self, args=None, kwargs=None, task_id=None, *more, **options):
        if self.app.conf.task_always_eager:
            return super().apply_async(args, kwargs, task_id, *more, **options)
        try:
            return super().apply_async(args, kwargs, task_id, *more, **options)
        except BROKER_ERRORS as error:
            logger.error(
                "task %s not queued: the broker is unreachable (%s)",
                self.name,
                type(error).__name__,
            )
            metrics_count(series="celery_tasks_unqueued", label=self.name)
            self.on_unqueued(args=list(args or ()), kwargs=dict(kwargs or {}), error=error)
            return None

    def on_unqueued(self, *, args: list, kwargs: dict, error: Exception) -> None:
        """What to keep of a task the broker did not take (nothing, by default)."""
