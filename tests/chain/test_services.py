"""A ticket's transaction is looked up after commit, cached, refreshed until final, and survives
providers that fail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chain import services, tasks
from chain.models import TransactionCheck, TransactionState
from tickets.models import Channel, ProblemType
from tickets.services import ticket_create


def _ticket(*, tx_hash: str, network: str = "ethereum", **evidence):
    return ticket_create(
        problem_type=ProblemType.ABNORMAL_TRANSACTION,
        channel=Channel.WEB,
        subject="My ETH did not arrive",
        description="I sent ETH to the exchange an hour ago and it has not been credited.",
        customer_email="li.wei@example.com",
        customer_name="Li Wei",
        evidence={"network": network, "transaction_hash": tx_hash, **evidence},
        transaction_hash=tx_hash,
        transaction_network=network,
    )


@pytest.mark.django_db
def test_new_ticket_is_looked_up_after_commit(ethereum, django_capture_on_commit_callbacks):
    tx_hash = ethereum.send_ether(to=ethereum.accounts[1], wei=2 * 10**18)

    with django_capture_on_commit_callbacks() as callbacks:
        ticket = _ticket(tx_hash=tx_hash)
        check = TransactionCheck.objects.get(ticket=ticket)
        # Nothing asked inside the ticket's transaction.
        assert check.state == TransactionState.UNCHECKED
        assert ethereum.requests == []
    for callback in callbacks:
        callback()

    check.refresh_from_db()
    assert check.state == TransactionState.CONFIRMED
    assert check.amount == "2"
    assert check.asset == "ETH"
    assert check.to_address.lower() == ethereum.accounts[1].lower()
    assert check.block_time is not None
    assert check.checked_at is not None
    assert not check.is_final  # one confirmation of the twelve
    assert check.next_check_at is not None


@pytest.mark.django_db
def test_no_provider_for_the_network_creates_nothing(ethereum, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _ticket(tx_hash="0x" + "ab" * 32, network="bsc")
        plain = ticket_create(
            problem_type=ProblemType.OTHER,
            channel=Channel.WEB,
            subject="Question",
            description="A question about my account without any transaction in it.",
            customer_email="a@example.com",
        )

    assert not TransactionCheck.objects.filter(ticket__in=[ticket, plain]).exists()
    assert ethereum.requests == []


@pytest.mark.django_db
def test_refresh_runs_until_final_then_stops(
    ethereum, settings, django_capture_on_commit_callbacks
):
    settings.CHAIN_FINAL_CONFIRMATIONS = {"ethereum": 3}
    tx_hash = ethereum.send_ether(to=ethereum.accounts[1], wei=1, mine=False)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _ticket(tx_hash=tx_hash)
    check = TransactionCheck.objects.get(ticket=ticket)
    assert check.state == TransactionState.PENDING

    ethereum.mine(3)
    TransactionCheck.objects.filter(pk=check.pk).update(next_check_at=timezone.now())
    services.cache.clear()
    assert tasks.refresh_transaction_checks.delay().get() == 1

    check.refresh_from_db()
    assert check.state == TransactionState.CONFIRMED
    assert check.confirmations >= 3
    assert check.is_final
    assert check.next_check_at is None
    requests = len(ethereum.requests)
    assert tasks.refresh_transaction_checks.delay().get() == 0
    assert tasks.check_transaction.delay(check.pk).get() == TransactionState.CONFIRMED
    assert len(ethereum.requests) == requests


@pytest.mark.django_db
def test_answers_are_cached_per_hash(ethereum, django_capture_on_commit_callbacks):
    tx_hash = ethereum.send_ether(to=ethereum.accounts[1], wei=5)

    services.observation_fetch(network="ethereum", tx_hash=tx_hash)
    asked = len(ethereum.requests)
    with django_capture_on_commit_callbacks(execute=True):
        _ticket(tx_hash=tx_hash)

    assert len(ethereum.requests) == asked
    assert TransactionCheck.objects.get().state == TransactionState.CONFIRMED


@pytest.mark.django_db
def test_provider_down_leaves_could_not_check_and_rests(
    silent, settings, django_capture_on_commit_callbacks
):
    settings.CHAIN_PROVIDERS = {"ethereum": silent.url}
    settings.CHAIN_PROVIDER_TIMEOUT_SECONDS = 0.3

    with django_capture_on_commit_callbacks(execute=True):
        first = _ticket(tx_hash="0x" + "12" * 32)
        second = _ticket(tx_hash="0x" + "34" * 32)

    for ticket in (first, second):
        check = TransactionCheck.objects.get(ticket=ticket)
        assert check.state == TransactionState.UNCHECKED
        assert check.could_not_check
        assert check.failures == 1
        assert check.next_check_at > timezone.now() + timedelta(seconds=60)
    assert services.provider_resting(network="ethereum")


@pytest.mark.django_db
def test_a_worker_retries_with_backoff(silent, settings, monkeypatch):
    """Off the embedded default, a failed lookup is retried by Celery, each time later."""
    settings.CHAIN_PROVIDERS = {"ethereum": silent.url}
    settings.CHAIN_PROVIDER_TIMEOUT_SECONDS = 0.2
    ticket = _ticket(tx_hash="0x" + "56" * 32)
    check = TransactionCheck.objects.get(ticket=ticket)
    delays = []

    class Retry(Exception):
        pass

    def retry(countdown):
        delays.append(countdown)
        return Retry()

    monkeypatch.setattr(tasks.check_transaction, "retry", retry)
    for attempt in range(tasks.check_transaction.max_retries):
        tasks.check_transaction.push_request(is_eager=False, retries=attempt)
        try:
            with pytest.raises(Retry):
                tasks.check_transaction.run(check.pk)
        finally:
            tasks.check_transaction.pop_request()
    tasks.check_transaction.push_request(is_eager=False, retries=5)
    try:
        assert tasks.check_transaction.run(check.pk) == "unavailable"
    finally:
        tasks.check_transaction.pop_request()

    assert delays == [10, 20, 40, 80, 160]
    check.refresh_from_db()
    assert check.could_not_check


@pytest.mark.django_db
def test_changed_hash_is_checked_again(ethereum, django_capture_on_commit_callbacks):
    first = ethereum.send_ether(to=ethereum.accounts[1], wei=7)
    second = ethereum.send_ether(to=ethereum.accounts[2], wei=8)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _ticket(tx_hash=first)
    ticket.transaction_hash = second
    ticket.save(update_fields=["transaction_hash"])

    with django_capture_on_commit_callbacks(execute=True):
        services.transaction_check_open(ticket=ticket)

    check = TransactionCheck.objects.get(ticket=ticket)
    assert check.transaction_hash == second
    assert check.to_address.lower() == ethereum.accounts[2].lower()


@pytest.mark.django_db
def test_checks_give_up_after_the_window(ethereum, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _ticket(tx_hash="0x" + "9a" * 32)
    check = TransactionCheck.objects.get(ticket=ticket)
    assert check.state == TransactionState.NOT_FOUND
    TransactionCheck.objects.filter(pk=check.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.CHAIN_GIVE_UP_HOURS + 1),
        next_check_at=timezone.now(),
    )
    services.cache.clear()

    tasks.refresh_transaction_checks.delay()

    check.refresh_from_db()
    assert check.next_check_at is None
    assert services.checks_due() == []


@pytest.mark.django_db
def test_beat_checks_tickets_filed_before_a_provider_and_edited_hashes(
    ethereum, settings, django_capture_on_commit_callbacks
):
    settings.CHAIN_PROVIDERS = {}
    earlier = _ticket(tx_hash=ethereum.send_ether(to=ethereum.accounts[1], wei=11))
    settings.CHAIN_PROVIDERS = {"ethereum": ethereum.url}
    with django_capture_on_commit_callbacks(execute=True):
        edited = _ticket(tx_hash="0x" + "0e" * 32)
    assert TransactionCheck.objects.get(ticket=edited).state == TransactionState.NOT_FOUND
    corrected = ethereum.send_ether(to=ethereum.accounts[2], wei=12)
    edited.transaction_hash = corrected
    edited.save(update_fields=["transaction_hash"])

    with django_capture_on_commit_callbacks(execute=True):
        tasks.refresh_transaction_checks.delay()

    assert TransactionCheck.objects.get(ticket=earlier).state == TransactionState.CONFIRMED
    check = TransactionCheck.objects.get(ticket=edited)
    assert (check.transaction_hash, check.state) == (corrected, TransactionState.CONFIRMED)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.checks_open_missing() == 0
