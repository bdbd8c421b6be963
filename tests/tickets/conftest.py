import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tickets.models import Channel, ProblemType
from tickets.services import ticket_create

VALID_BTC_TXID = "a1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d"


def png_upload(name: str = "screenshot.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 80, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def contact_data(problem_type: str, **overrides) -> dict:
    """A complete, valid contact form for a problem type."""
    data = {
        "problem_type": problem_type,
        "submission_key": "6f1c8d9e-1234-4a5b-9c3d-111111111111",
        "email": "li.wei@example.com",
        "name": "Li Wei",
        "wallet_account_id": "WA-10023",
        "subject": "Problem with my wallet",
        "description": "I cannot log in; the app says the password is wrong since this morning.",
    }
    data.update(
        {
            ProblemType.ACCOUNT_SECURITY: {
                "security_issue": "unrecognised_activity",
                "noticed_at": "2026-11-20T09:30",
                "funds_moved": "no",
            },
            ProblemType.ABNORMAL_TRANSACTION: {
                "transaction_at": "2026-11-20T09:30",
                "amount": "150.5",
                "asset": "BTC",
                "network": "bitcoin",
                "counterparty": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                "transaction_hash": VALID_BTC_TXID,
                "status_shown": "completed_not_received",
            },
            ProblemType.TOPUP_WITHDRAWAL: {
                "direction": "withdrawal",
                "method": "bank_card",
                "amount": "2000",
                "occurred_at": "2026-11-21T14:00",
                "error_message": "Daily limit exceeded",
            },
            ProblemType.ACCOUNT_FROZEN: {
                "notice_text": "Your account is frozen for a security review.",
                "notice_date": "2026-11-19",
            },
        }.get(problem_type, {})
    )
    data.update(overrides)
    return data


@pytest.fixture
def ticket(db):
    return ticket_create(
        problem_type=ProblemType.ABNORMAL_TRANSACTION,
        channel=Channel.WEB,
        subject="Transfer not received",
        description="I sent 150 BTC units yesterday and they have not arrived at the exchange.",
        customer_email="li.wei@example.com",
        customer_name="Li Wei",
        transaction_hash=VALID_BTC_TXID,
        transaction_network="bitcoin",
    )


class _Receiver:
    """A real HTTP server on loopback standing in for the wallet's backend."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self
        self.requests: list[dict] = []
        self.status = 200

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/support"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver():
    receiver = _Receiver()
    yield receiver
    receiver.close()
