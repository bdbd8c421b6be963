"""bench.queue_bench: its figures and the in-process statement check."""

from datetime import UTC, datetime

from bench.fill_tickets import tickets_fill
from bench.queue_bench import UrlResult, main_query, page_statements

NOW = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)


def test_url_result_median_and_nearest_rank_p95():
    result = UrlResult("list", "/admin/", latencies_ms=[float(n) for n in range(20, 0, -1)])

    assert result.median_ms == 10.5
    assert result.p95_ms == 19.0
    assert UrlResult("none", "/").p95_ms != UrlResult("none", "/").p95_ms  # NaN: nothing timed


def test_page_statements_counts_queries_and_flags_sequential_scans(postgres, superuser, settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    tickets_fill(tickets=30, seed=2, now=NOW, history_days=10)
    with postgres.cursor() as cursor:  # until the test's transaction ends: no index can help
        for method in ("indexscan", "indexonlyscan", "bitmapscan"):
            cursor.execute(f"SET LOCAL enable_{method} = off")

    count, findings = page_statements(superuser, "/admin/tickets/ticket/", "en")

    assert count is not None
    assert count > 0
    assert any(finding.startswith("tickets_ticket: SELECT") for finding in findings)


def test_main_query_is_a_page_of_tickets_that_explains(postgres, superuser):
    tickets_fill(tickets=30, seed=2, now=NOW, history_days=10)

    for view in (None, "mine", "waiting", "solved"):
        queryset, source = main_query(user=superuser, view=view)
        plan = queryset.explain(analyze=True, buffers=True)

        assert "tickets_ticket" in plan
        assert "Execution Time" in plan  # ANALYZE ran it
        assert source.startswith(("admin ChangeList", "ORM equivalent"))
