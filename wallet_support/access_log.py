"""The web server's log lines without query strings: a customer's words never reach a log file.

Uvicorn writes every request's path and query string (`GET /faq/search/?q=…`) to its access log,
and every WebSocket handshake's to its error log. Type-ahead and search send what a customer is
typing, and a frightened customer types a recovery phrase anywhere, so the production server
(wallet_support/serve.py, with uvicorn_logging.json) logs the path alone: a query is written as
`?…` and never as its text.
"""

import logging

QUERY_REMOVED = "?…"


def without_query(value: object) -> object:
    """A logged path without its query string; anything else unchanged."""
    if isinstance(value, str) and value.startswith("/") and "?" in value:
        return value.split("?", 1)[0] + QUERY_REMOVED
    return value


class QueryStringFilter(logging.Filter):
    """Drop the query string from the paths of a record's arguments (uvicorn passes the path as
    an argument of its access and WebSocket lines, and formats the line from them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(without_query(value) for value in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: without_query(value) for key, value in record.args.items()}
        return True
