"""The only place the desk asks a network: lookups with time-outs, retries with backoff, on beat."""

from celery import shared_task

from chain.providers import ProviderUnavailable

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}
# The transaction problem type's queue (tickets.problem_types): its workers ask the networks.
QUEUE = "transactions"
MAX_RETRY_DELAY_SECONDS = 300


@shared_task(bind=True, **RELIABLE, max_retries=5)
def check_transaction(self, check_id: int) -> str:
    """Look up a ticket's transaction; retried with backoff while its provider fails."""
    from chain import services

    try:
        check = services.transaction_check_refresh(check_id=check_id)
    except ProviderUnavailable:
        # Eager (the embedded default) runs in the request: no retries there, beat tries again.
        if not self.request.is_eager and self.request.retries < self.max_retries:
            delay = min(MAX_RETRY_DELAY_SECONDS, 10 * 2**self.request.retries)
            raise self.retry(countdown=delay) from None
        services.transaction_check_failed(check_id=check_id)
        return "unavailable"
    return check.state if check is not None else "gone"


@shared_task(**RELIABLE)
def lookup_hash(network: str, tx_hash: str) -> str:
    """Fill the cache for a hash typed on the contact form (chain.views.status polls it)."""
    from chain import services

    try:
        return services.observation_fetch(network=network, tx_hash=tx_hash).state
    except ProviderUnavailable:
        return "unavailable"
    finally:
        services.lookup_done(network=network, tx_hash=tx_hash)


@shared_task(**RELIABLE)
def refresh_transaction_checks() -> int:
    """Beat: ask again about every check that is not final and is due."""
    from chain import services

    services.checks_open_missing()
    due = services.checks_due()
    services.checks_postpone(check_ids=due, seconds=MAX_RETRY_DELAY_SECONDS * 2)
    for check_id in due:
        check_transaction.apply_async(args=[check_id], queue=QUEUE)
    return len(due)
