"""The support dashboard page and its CSV files: staff only, cached, a fixed number of queries."""

import csv
import io
import re
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection
from django.templatetags.static import static
from django.test import AsyncRequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from agents.models import Team
from dashboard import figures as reports
from dashboard import services
from dashboard import views as dashboard_views
from guard.models import GuardEvent
from livechat.models import Conversation
from tests.support.auth import login_with_second_factor
from tickets.models import Channel, ProblemType, Status, Ticket, new_reference

URL = "/agent/dashboard/"
EXPORT = "/agent/dashboard/export.csv"
# The figures' own queries: opened, solved, first response (PostgreSQL: overall and per type in
# two; SQLite: one read of the durations), SLA, backlog, two for satisfaction, chats, guard.
FIGURE_QUERIES = {"postgresql": 10, "sqlite": 9}
# The page around them: the user, and the admin's checks of what they may see.
MAX_PAGE_QUERIES = 8
BOM = "\ufeff".encode()


@pytest.fixture(autouse=True)
def _fresh_dashboard_cache():
    services.dashboard_cache_clear()
    yield
    services.dashboard_cache_clear()


@pytest.fixture
def staff_client(client, staff_user):
    login_with_second_factor(client, staff_user)
    return client


def populate(count: int) -> None:
    """`count` tickets of every type, channel, status and team, with chats and guard events."""
    teams = list(Team.objects.order_by("code"))
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        Ticket(
            reference=new_reference(),
            problem_type=ProblemType.values[number % len(ProblemType.values)],
            channel=Channel.values[number % len(Channel.values)],
            status=Status.values[number % len(Status.values)],
            subject="Help with my wallet",
            customer_email=f"customer{number}@example.com",
            team=teams[number % len(teams)],
            first_response_due=now + timedelta(hours=1),
            first_responded_at=now + timedelta(minutes=number),
            first_response_breached_at=now if number % 3 == 0 else None,
            resolution_due=now + timedelta(days=1),
            resolved_at=now if number % 2 else None,
            satisfaction_rating=number % 5 + 1 if number % 2 else None,
        )
        for number in range(count)
    )
    for number, ticket in enumerate(tickets[: max(1, count // 4)]):
        Conversation.objects.create(
            ticket=ticket,
            visitor_key=f"visitor-{number}",
            visitor_name="Mei",
            problem_type=ticket.problem_type,
            status=Conversation.Status.values[number % 3],
            rating=4 if number % 3 == 2 else None,
        )
    GuardEvent.objects.bulk_create(
        GuardEvent(source=GuardEvent.Source.CONTACT_FORM, kind=kind)
        for kind in ["recovery_phrase", "private_key", "card_number"] * max(1, count // 3)
    )


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.django_db
@pytest.mark.parametrize("path", [URL, f"{EXPORT}?figure=backlog_by_age"])
def test_dashboard_refuses_anonymous_visitors(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("security:login") + "?next=/agent/dashboard/")


@pytest.mark.django_db
@pytest.mark.parametrize("path", [URL, f"{EXPORT}?figure=backlog_by_age"])
def test_dashboard_refuses_signed_in_customers(client, django_user_model, path):
    customer = django_user_model.objects.create_user(
        username="customer", password="a-long-test-password"
    )
    client.force_login(customer)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("security:login"))


@pytest.mark.django_db
def test_dashboard_shows_every_figure_as_a_table_with_its_chart_data(staff_client):
    populate(12)

    response = staff_client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    figures = response.context["figures"]
    assert [figure.name for figure in figures] == list(reports.FIGURE_NAMES)
    for figure in figures:
        assert f'id="figure-{figure.name}-title">{figure.title}</h2>' in page
        assert f"?period=30&amp;figure={figure.name}" in page
    assert page.count('<th scope="col">') == sum(len(figure.columns) for figure in figures)
    charts = [chart["name"] for chart in response.context["charts"]]
    assert '<script id="dashboard-charts" type="application/json">' in page
    assert all(f'data-chart="{name}"' in page for name in charts)
    assert "chats_now" not in charts
    assert "Computed at" in page


@pytest.mark.django_db
def test_dashboard_with_no_tickets_says_so_and_draws_no_empty_team_chart(staff_client):
    response = staff_client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "Nothing in this period." in response.content.decode()
    assert "sla_compliance" not in [chart["name"] for chart in response.context["charts"]]


@pytest.mark.django_db
def test_dashboard_has_no_inline_script_and_serves_chartjs_locally(staff_client):
    page = staff_client.get(URL).content.decode()

    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    sources = re.findall(r'<script\b[^>]*\bsrc="([^"]*)"', page)
    assert static("vendor/chartjs/chart.umd.min.js") in sources
    assert static("js/dashboard.js") in sources
    assert all(source.startswith(settings.STATIC_URL) for source in sources), sources


@pytest.mark.django_db
def test_dashboard_period_picker_selects_the_period(staff_client):
    response = staff_client.get(URL, {"period": "7"})

    assert response.context["days"] == 7
    assert response.context["data"].period.days == 7
    daily = response.context["figures"][1]
    assert len(daily.rows) == 7
    assert '<option value="7" selected>' in response.content.decode()


@pytest.mark.django_db
def test_dashboard_explains_an_unknown_period_and_shows_the_default(staff_client):
    response = staff_client.get(URL, {"period": "365"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "Choose a period of 7, 30 or 90 days." in response.content.decode()
    assert response.context["days"] == reports.DEFAULT_PERIOD_DAYS


@pytest.mark.django_db
def test_dashboard_runs_a_fixed_number_of_queries_whatever_the_number_of_tickets(
    staff_client, django_assert_num_queries
):
    populate(1)
    with CaptureQueriesContext(connection) as first_load:
        staff_client.get(URL)
    with CaptureQueriesContext(connection) as reload:
        staff_client.get(URL)
    populate(90)
    services.dashboard_cache_clear()

    # A first load aggregates; a reload reads the cache and runs only the page's own queries.
    with django_assert_num_queries(len(first_load)):
        assert staff_client.get(URL).status_code == 200
    with django_assert_num_queries(len(reload)):
        assert staff_client.get(URL).status_code == 200
    assert len(first_load) - len(reload) == FIGURE_QUERIES[connection.vendor]
    assert len(reload) <= MAX_PAGE_QUERIES


@pytest.mark.django_db
def test_dashboard_reload_within_a_minute_shows_the_same_figures(staff_client):
    first = staff_client.get(URL)
    Conversation.objects.create(
        ticket=Ticket.objects.create(
            reference=new_reference(),
            channel=Channel.CHAT,
            subject="Chat",
            customer_email="visitor@example.com",
        ),
        visitor_key="visitor",
        visitor_name="Mei",
        problem_type=ProblemType.OTHER,
    )

    again = staff_client.get(URL)
    services.dashboard_cache_clear()
    later = staff_client.get(URL)

    assert first.context["data"].chats.queued == 0
    assert again.context["data"].computed_at == first.context["data"].computed_at
    assert again.context["data"].chats.queued == 0
    assert later.context["data"].chats.queued == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Account security"), ("zh-hans", "账户安全")],
)
def test_dashboard_renders_in_both_languages(staff_client, language, expected):
    populate(5)

    response = staff_client.get(URL, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}"' in page
    assert f'<th scope="col">{expected}</th>' in page


@pytest.mark.django_db
def test_admin_index_links_to_the_dashboard(client, superuser):
    login_with_second_factor(client, superuser)

    page = client.get(reverse("admin:index")).content.decode()

    assert f'href="{reverse("dashboard:index")}"' in page
    assert "Support dashboard" in page


@pytest.mark.django_db
def test_export_is_a_utf8_csv_with_bom_named_after_the_figure(staff_client):
    populate(6)

    response = staff_client.get(
        EXPORT, {"period": "7", "figure": "opened_by_problem_type"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="support-opened_by_problem_type-7d-\d{4}-\d{2}-\d{2}\.csv"',
        response["Content-Disposition"],
    )
    header, *days, total = csv_rows(response)
    assert header == ["Date", *[str(label) for label in ProblemType.labels], "Total"]
    assert len(days) == 7
    assert days[-1][0] == timezone.localdate().isoformat()
    assert total[0] == "Total"
    assert int(total[-1]) == 6


@pytest.mark.django_db
def test_export_headers_are_in_the_users_language(staff_client):
    response = staff_client.get(
        EXPORT, {"figure": "opened_by_channel"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    header = csv_rows(response)[0]
    assert "网页表单" in header
    assert "在线客服" in header


@pytest.mark.django_db
def test_export_guards_against_formula_injection(staff_client):
    team = Team.objects.create(
        code="evil", name_en='=HYPERLINK("http://evil.example","Click")', name_zh_hans="-2+3"
    )
    Ticket.objects.create(
        reference=new_reference(),
        channel=Channel.WEB,
        subject="Help",
        customer_email="c@example.com",
        team=team,
        first_response_due=timezone.now(),
    )

    english = csv_rows(staff_client.get(EXPORT, {"figure": "sla_compliance"}))
    chinese = csv_rows(
        staff_client.get(EXPORT, {"figure": "sla_compliance"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    )

    assert english[1][:3] == ['\'=HYPERLINK("http://evil.example","Click")', "1", "100.0"]
    assert chinese[1][0] == "'-2+3"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"figure": "tickets_table"}, "There is no figure of that name to download."),
        ({}, "Choose the figure to download."),
        ({"figure": "backlog_by_age", "period": "365"}, "Choose a period of 7, 30 or 90 days."),
    ],
)
def test_export_explains_bad_input(staff_client, query, message):
    response = staff_client.get(EXPORT, query, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == message


@pytest.mark.django_db
def test_export_streams_asynchronously_under_asgi(staff_user):
    Ticket.objects.create(
        reference=new_reference(), channel=Channel.WEB, subject="Help", customer_email="c@ex.com"
    )
    request = AsyncRequestFactory().get(EXPORT, {"figure": "backlog_by_age"})
    request.user = staff_user
    staff_user.is_verified = lambda: True  # as django-otp's middleware marks a verified session

    with translation.override("en"):
        response = dashboard_views.export_csv(request)

    async def read() -> bytes:
        return b"".join([chunk async for chunk in response])

    assert response.is_async
    body = async_to_sync(read)()
    assert body.startswith(BOM)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1][0] == "New"
    assert rows[1][1:] == ["1", "0", "0", "0", "1"]
