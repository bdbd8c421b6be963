"""What keeping typed text out of logs costs (issue 17): the access log's query filter per line,
and the guard's scan of a type-ahead query (500 characters, the search box's limit) per request.

    .venv/bin/python -m bench.privacy_bench

Runs in one process, no server: the type-ahead is asked for once the customer stops typing for
300 ms (static/js/contact.js), so its cost per request is what matters.
"""

import logging
import os
import statistics
import timeit

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallet_support.settings")
os.environ.setdefault("SECRET_KEY", "privacy-bench-only")
django.setup()

from uvicorn.logging import AccessFormatter  # noqa: E402

from faq.forms import MAX_QUERY_CHARACTERS, SearchForm  # noqa: E402
from tests.support import guard_corpus as corpus  # noqa: E402
from wallet_support.access_log import QueryStringFilter  # noqa: E402

REPEAT = 2000


def timed(function, repeat: int = REPEAT) -> tuple[float, float]:
    runs = sorted(t * 1e6 for t in timeit.repeat(function, number=1, repeat=repeat))
    return statistics.median(runs), runs[int(len(runs) * 0.99) - 1]


def access_line(query_filter: QueryStringFilter | None):
    formatter = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s')
    path = "/faq/search/?q=" + "withdrawal+pending+since+this+morning" * 5

    def log() -> str:
        record = logging.LogRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:50000", "GET", path, "1.1", 200),
            None,
        )
        if query_filter is not None:
            query_filter.filter(record)
        return formatter.format(record)

    return log


def query(text: str) -> str:
    return (text * (MAX_QUERY_CHARACTERS // len(text) + 1))[:MAX_QUERY_CHARACTERS]


class PlainSearchForm(SearchForm):
    """The search form as it was before: its checks without the guard's."""

    def clean(self) -> dict:
        return self.cleaned_data


def main() -> None:
    rows = {
        "access line, uvicorn's format": access_line(None),
        "access line, query removed": access_line(QueryStringFilter()),
    }
    for name, text in {
        "English": " ".join(corpus.ENGLISH_MESSAGES),
        "Chinese": "".join(corpus.CHINESE_MESSAGES),
    }.items():
        data = {"q": query(text)}
        rows[f"{name} query, form without guard"] = lambda data=data: PlainSearchForm(
            data
        ).is_valid()
        rows[f"{name} query, form with guard"] = lambda data=data: SearchForm(data).is_valid()
    print(f"{'step':40} {'median µs':>10} {'p99 µs':>8}")
    for name, function in rows.items():
        median, p99 = timed(function)
        print(f"{name:40} {median:10.1f} {p99:8.1f}")


if __name__ == "__main__":
    main()
