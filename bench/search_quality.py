"""Search quality on the labelled queries: recall@3 and MRR per language, for the search box and
for the contact form's suggestions (posted to /faq/suggest/ from subject and description).

    .venv/bin/python -m bench.search_quality [--misses]

Runs on a throw-away test database: SQLite by default, PostgreSQL when DATABASE_URL is set.
The same figures are asserted by tests/faq/test_search_quality.py.
"""

import argparse
import os
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the queries missed")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallet_support.settings")
    # The test client speaks plain HTTP to "testserver", also under production settings.
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from faq.selectors import help_search
    from faq.services import help_centre_load
    from tests.support.search_quality import LANGUAGES, evaluate, labelled_queries

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        help_centre_load()
        client = Client()

        def searched(text: str) -> list[str]:
            return [result.article.slug for result in help_search(query=text, limit=10).results]

        def suggested(text: str) -> list[str]:
            response = client.post("/faq/suggest/", {"q": text, "context": "ticket"})
            if response.status_code != 200:
                raise SystemExit(f"/faq/suggest/ answered {response.status_code}")
            return [
                item["url"].rstrip("/").rsplit("/", 1)[-1] for item in response.json()["results"]
            ]

        print(f"database: {connection.vendor}")
        print(
            f"{'set':10} {'language':8} {'queries':>7} {'recall@3':>9} {'MRR':>6} {'ms/query':>9}"
        )
        for kind, search in (("queries", searched), ("suggest", suggested)):
            for language in LANGUAGES:
                queries = labelled_queries(kind, language)
                start = time.perf_counter()
                quality = evaluate(queries, search)
                per_query = 1000 * (time.perf_counter() - start) / len(queries)
                name = "search" if kind == "queries" else "suggest"
                print(
                    f"{name:10} {language:8} {quality.count:7d} {quality.recall_at_3:9.3f} "
                    f"{quality.mrr:6.3f} {per_query:9.1f}"
                )
                if args.misses:
                    for text, top in quality.misses:
                        print(f"    missed: {text!r} -> {', '.join(top) or '(nothing)'}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
