"""The wallet app's side of the API tests: tokens as the wallet backend issues them, clients."""

from datetime import UTC, datetime, timedelta

from rest_framework.test import APIClient

from api.tokens import app_token_issue
from tickets.models import Channel, ProblemType, Ticket
from tickets.services import ticket_create, ticket_email_verify

ACCOUNT_ID = "WA-10023"


EMAIL = "li.wei@example.com"


def issue(
    account_id: str = ACCOUNT_ID, email: str = EMAIL, *, secret: str | None = None, **kwargs
) -> str:
    return app_token_issue(wallet_account_id=account_id, email=email, secret=secret, **kwargs)


def expired_token() -> str:
    return issue(now=datetime.now(tz=UTC) - timedelta(hours=2))


def client_with(token: str | None, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def web_ticket(email: str = EMAIL, *, email_verified: bool = True, **overrides) -> Ticket:
    """A ticket filed on the website's contact form; by default its customer has opened the
    link mailed to the address (until then the app does not list it)."""
    fields = {
        "problem_type": ProblemType.OTHER,
        "channel": Channel.WEB,
        "subject": "Cannot change my phone number",
        "description": "The app says my new number is already in use, but it is not.",
        "customer_email": email,
        "customer_name": "Li Wei",
        **overrides,
    }
    ticket = ticket_create(**fields)
    if email_verified:
        ticket_email_verify(ticket=ticket)
        ticket.refresh_from_db()
    return ticket


TRANSACTION = {
    "problem_type": "abnormal_transaction",
    "subject": "USDT transfer not received",
    "description": "I sent 150.5 USDT to the exchange yesterday and it has not arrived yet.",
    "name": "Li Wei",
    "evidence": {
        "transaction_at": "2026-01-20T09:30:00+08:00",
        "amount": 150.5,
        "asset": "USDT",
        "network": "tron",
        "counterparty": "TQ9AkQzMvGw3TnL8xoBAy4fUZqQPaYcFqj",
        "transaction_hash": "0x" + "ab" * 32,
        "status_shown": "completed_not_received",
    },
}
