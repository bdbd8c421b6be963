"""Looking up a ticket's transaction on its network, and keeping the answer until it is final.

The network is only ever asked from a Celery task (`chain.tasks`); pages and the API read the
stored `TransactionCheck` or the cache. Answers are cached per network and hash, so the contact
form's check and the ticket filed a minute later ask the provider once. A provider that failed
rests for `CHAIN_PROVIDER_REST_SECONDS`: lookups meanwhile fail at once instead of each waiting
for its time-out.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from chain import providers
from chain.models import TransactionCheck, TransactionState
from chain.providers import Observation, ProviderUnavailable
from tickets.models import SOLVED_STATUSES, Ticket

logger = logging.getLogger(__name__)

FINAL_CACHE_SECONDS = 60 * 60
LOOKUP_QUEUED_SECONDS = 30
# Longer than a lookup's retries take (chain.tasks: 10 s to 160 s, five times).
QUEUED_CHECK_SECONDS = 10 * 60


def chain_enabled(*, network: str) -> bool:
    """Whether the desk has a provider for `network` (no provider: the feature is off)."""
    return providers.client_for(network) is not None


def _key(network: str, tx_hash: str) -> str:
    # The hash itself never becomes part of a key that monitoring tools list.
    digest = hashlib.sha256(f"{network}:{tx_hash}".encode()).hexdigest()[:40]
    return f"chain:observation:{digest}"


def _rest_key(network: str) -> str:
    return f"chain:resting:{network}"


def required_confirmations(network: str) -> int:
    return int(settings.CHAIN_FINAL_CONFIRMATIONS.get(network, 12))


def observation_cached(*, network: str, tx_hash: str) -> Observation | None:
    data = cache.get(_key(network, tx_hash))
    return Observation.from_dict(data) if isinstance(data, dict) else None


def first_ask(*, requester: str, network: str, tx_hash: str) -> bool:
    """Whether `requester` (a session, or a client address) asks about this hash for the first
    time lately. The first answer is then "checking" whether or not the cache holds the hash, so
    an immediate answer cannot tell a visitor that someone else looked it up moments ago (that
    someone is likely a customer writing to support about it: a scammer's cue)."""
    digest = hashlib.sha256(f"{requester}:{network}:{tx_hash}".encode()).hexdigest()[:40]
    return bool(cache.add(f"chain:asked:{digest}", 1, FINAL_CACHE_SECONDS))


def provider_resting(*, network: str) -> bool:
    return bool(cache.get(_rest_key(network)))


def observation_fetch(*, network: str, tx_hash: str) -> Observation:
    """The network's answer about `tx_hash`, from the cache or its provider.

    Raises ProviderUnavailable when the provider fails or is resting after a failure."""
    cached = observation_cached(network=network, tx_hash=tx_hash)
    if cached is not None:
        return cached
    if provider_resting(network=network):
        raise ProviderUnavailable("resting after a failure")
    try:
        observation = providers.observe(network, tx_hash)
    except ProviderUnavailable as error:
        cache.set(_rest_key(network), 1, settings.CHAIN_PROVIDER_REST_SECONDS)
        logger.warning("chain provider for %s failed: %s", network, error)
        raise
    final = observation.state in {
        TransactionState.CONFIRMED,
        TransactionState.FAILED,
    } and observation.confirmations >= required_confirmations(network)
    seconds = FINAL_CACHE_SECONDS if final else settings.CHAIN_CACHE_SECONDS
    cache.set(_key(network, tx_hash), observation.as_dict(), seconds)
    return observation


def lookup_queue(*, network: str, tx_hash: str) -> bool:
    """Queue one lookup of a hash typed on the contact form; False if one is already queued."""
    from chain.tasks import QUEUE, lookup_hash

    marker = _key(network, tx_hash) + ":queued"
    if not cache.add(marker, 1, LOOKUP_QUEUED_SECONDS):
        return False
    if not _form_budget_left(network):
        cache.delete(marker)
        raise ProviderUnavailable("the contact form's lookups for this minute are spent")
    # Expires: a customer who waited a minute has moved on.
    lookup_hash.apply_async(args=[network, tx_hash], queue=QUEUE, expires=60)
    return True


def _form_budget_left(network: str) -> bool:
    minute = int(time.time() // 60)
    key = f"chain:form-lookups:{network}:{minute}"
    cache.add(key, 0, 120)
    try:
        used = cache.incr(key)
    except ValueError:  # the key went between add and incr (evicted): count from one
        cache.set(key, 1, 120)
        used = 1
    except Exception:  # a cache outage: the rate limits fail open too (security.ratelimit)
        return True
    return used <= settings.CHAIN_FORM_LOOKUPS_PER_MINUTE


def lookup_done(*, network: str, tx_hash: str) -> None:
    cache.delete(_key(network, tx_hash) + ":queued")


def transaction_check_open(*, ticket) -> TransactionCheck | None:
    """Start checking the ticket's hash (a new ticket, or one whose hash changed), after commit.

    Nothing happens for a ticket without a hash or on a network the desk has no provider for."""
    from chain.tasks import QUEUE, check_transaction

    if not ticket.transaction_hash or not chain_enabled(network=ticket.transaction_network):
        return None
    # The lookup is queued below; beat picks the check up only if that task is lost.
    queued_until = timezone.now() + timedelta(seconds=QUEUED_CHECK_SECONDS)
    with transaction.atomic():
        check, created = TransactionCheck.objects.select_for_update().get_or_create(
            ticket=ticket,
            defaults={
                "network": ticket.transaction_network,
                "transaction_hash": ticket.transaction_hash,
                "next_check_at": queued_until,
            },
        )
        if not created and (check.network, check.transaction_hash) != (
            ticket.transaction_network,
            ticket.transaction_hash,
        ):
            check.delete()
            check = TransactionCheck.objects.create(
                ticket=ticket,
                network=ticket.transaction_network,
                transaction_hash=ticket.transaction_hash,
                next_check_at=queued_until,
            )
        check_id = check.pk
        transaction.on_commit(lambda: check_transaction.apply_async(args=[check_id], queue=QUEUE))
    return check


def _next_check(check: TransactionCheck, now: datetime) -> datetime | None:
    """When to ask again: soon while a transfer moves, less often while nothing is seen."""
    if check.is_final:
        return None
    if now - check.created_at > timedelta(hours=settings.CHAIN_GIVE_UP_HOURS):
        return None
    if check.state == TransactionState.PENDING:
        return now + timedelta(seconds=30)
    if check.state in {TransactionState.CONFIRMED, TransactionState.FAILED}:
        return now + timedelta(seconds=60)
    # Not seen yet, or never answered: back off to at most an hour.
    step = 60 * 2 ** min(check.failures + (check.state == TransactionState.NOT_FOUND), 6)
    return now + timedelta(seconds=min(step, 3600))


def transaction_check_refresh(*, check_id: int) -> TransactionCheck | None:
    """Ask the network again about a check that is not final; raises ProviderUnavailable."""
    check = TransactionCheck.objects.filter(pk=check_id).first()
    if check is None or check.is_final:
        return check
    observation = observation_fetch(network=check.network, tx_hash=check.transaction_hash)
    now = timezone.now()
    with transaction.atomic():
        check = TransactionCheck.objects.select_for_update().filter(pk=check_id).first()
        if check is None or check.is_final:
            return check
        check.state = observation.state
        check.confirmations = observation.confirmations
        check.block_number = observation.block_number
        check.block_time = (
            datetime.fromisoformat(observation.block_time) if observation.block_time else None
        )
        check.from_address = observation.from_address[:128]
        check.to_address = observation.to_address[:128]
        check.amount = observation.amount[:80]
        check.asset = observation.asset[:16]
        check.token_contract = observation.token_contract[:128]
        check.outputs = [list(output) for output in observation.outputs]
        check.is_final = check.state in {
            TransactionState.CONFIRMED,
            TransactionState.FAILED,
        } and check.confirmations >= required_confirmations(check.network)
        check.checked_at = now
        check.failures = 0
        check.next_check_at = _next_check(check, now)
        check.save()
    return check


def transaction_check_failed(*, check_id: int) -> None:
    """Note a lookup that failed for good (its retries spent): the status keeps its last answer."""
    now = timezone.now()
    with transaction.atomic():
        check = TransactionCheck.objects.select_for_update().filter(pk=check_id).first()
        if check is None or check.is_final:
            return
        check.failed_at = now
        check.failures += 1
        check.next_check_at = _next_check(check, now)
        check.save(update_fields=["failed_at", "failures", "next_check_at"])


def checks_due(*, limit: int = 200) -> list[int]:
    """The checks the periodic refresh asks about now, oldest due first."""
    return list(
        TransactionCheck.objects.filter(is_final=False, next_check_at__lte=timezone.now())
        .order_by("next_check_at")
        .values_list("pk", flat=True)[:limit]
    )


def checks_open_missing(*, limit: int = 100) -> int:
    """Open tickets whose hash has no check, or a check of another hash (filed before a provider
    was configured, or edited by an agent since): checked from the next beat on."""
    networks = [network for network in settings.CHAIN_PROVIDERS if chain_enabled(network=network)]
    if not networks:
        return 0
    # Only tickets young enough to be checked (the created index keeps this a range scan).
    since = timezone.now() - timedelta(hours=settings.CHAIN_GIVE_UP_HOURS)
    tickets = (
        Ticket.objects.filter(created_at__gte=since, transaction_network__in=networks)
        .exclude(transaction_hash="")
        .exclude(status__in=SOLVED_STATUSES)
        .filter(
            Q(transaction_check__isnull=True)
            | ~Q(transaction_check__transaction_hash=F("transaction_hash"))
            | ~Q(transaction_check__network=F("transaction_network"))
        )
        .order_by("-pk")[:limit]
    )
    opened = 0
    for ticket in tickets:
        opened += transaction_check_open(ticket=ticket) is not None
    return opened


def checks_postpone(*, check_ids: list[int], seconds: int) -> None:
    """Keep the next beats from queueing the same checks while these are in the queue."""
    TransactionCheck.objects.filter(pk__in=check_ids).update(
        next_check_at=timezone.now() + timedelta(seconds=seconds)
    )


def as_decimal(value: object) -> Decimal | None:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None
