"""The dashboard's figures, each checked against tickets built by hand."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from agents.models import Team
from dashboard import figures as reports
from dashboard import services
from dashboard.figures import DailyCount, GuardCount, Ratings, ResponseTimes, TeamCompliance
from guard.models import GuardEvent
from livechat.models import Conversation
from tests.support.factories import make_conversation
from tickets.models import ProblemType, Status, Ticket
from tickets.services import ticket_create

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Wednesday 15:00 in Shanghai (the default TIME_ZONE): the 7-day period starts on the 19th.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=SHANGHAI)
WEEK = reports.report_period(days=7, now=NOW)
BEFORE_PERIOD = datetime(2026, 11, 18, 23, 59, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _fresh_dashboard_cache():
    services.dashboard_cache_clear()
    yield
    services.dashboard_cache_clear()


def filed(
    *,
    created_at: datetime,
    problem_type: str = ProblemType.OTHER,
    channel: str = "web",
    **fields,
) -> Ticket:
    """A ticket filed through the service, then moved in time (and given `fields`)."""
    ticket = ticket_create(
        problem_type=problem_type,
        channel=channel,
        subject="My wallet needs help",
        description="Something is wrong with my wallet since this morning, please check.",
        customer_email="customer@example.com",
    )
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created_at, **fields)
    ticket.refresh_from_db()
    return ticket


def test_report_period_is_whole_local_days_ending_today():
    assert WEEK.start == datetime(2026, 11, 19, 0, 0, tzinfo=SHANGHAI)
    assert WEEK.dates[0] == date(2026, 11, 19)
    assert WEEK.dates[-1] == date(2026, 11, 25)
    assert len(reports.report_period(days=90, now=NOW).dates) == 90


def test_report_period_refuses_an_unknown_length():
    with pytest.raises(ValueError, match="period"):
        reports.report_period(days=14, now=NOW)


@pytest.mark.django_db
def test_tickets_opened_per_day_groups_by_local_day_type_and_channel():
    filed(created_at=NOW - timedelta(hours=5), problem_type="abnormal_transaction")
    filed(created_at=NOW - timedelta(hours=1), problem_type="abnormal_transaction")
    # 00:30 in Shanghai is still the previous day in UTC: it belongs to the 25th here.
    filed(
        created_at=datetime(2026, 11, 25, 0, 30, tzinfo=SHANGHAI),
        problem_type="account_security",
        channel="chat",
    )
    filed(
        created_at=datetime(2026, 11, 24, 23, 30, tzinfo=SHANGHAI),
        problem_type="account_security",
        channel="chat",
    )
    filed(created_at=BEFORE_PERIOD, problem_type="account_security")

    opened = reports.tickets_opened_per_day(period=WEEK)

    assert sorted(opened, key=lambda row: (row.day, row.problem_type)) == [
        DailyCount(date(2026, 11, 24), "account_security", "chat", 1),
        DailyCount(date(2026, 11, 25), "abnormal_transaction", "web", 2),
        DailyCount(date(2026, 11, 25), "account_security", "chat", 1),
    ]


@pytest.mark.django_db
def test_tickets_solved_per_day_counts_the_day_of_resolution():
    long_ago = NOW - timedelta(days=40)
    filed(created_at=long_ago, channel="email", resolved_at=NOW - timedelta(days=2))
    filed(created_at=NOW - timedelta(days=1), channel="email", resolved_at=NOW)
    filed(created_at=long_ago, channel="email", resolved_at=BEFORE_PERIOD)
    filed(created_at=NOW - timedelta(days=1), channel="email")  # not resolved

    solved = reports.tickets_solved_per_day(period=WEEK)

    assert sorted(solved, key=lambda row: row.day) == [
        DailyCount(date(2026, 11, 23), "other", "email", 1),
        DailyCount(date(2026, 11, 25), "other", "email", 1),
    ]


def test_percentile_cont_interpolates_like_postgresql():
    assert reports.percentile_cont([], 0.5) is None
    assert reports.percentile_cont([7.0], 0.9) == 7.0
    assert reports.percentile_cont([1.0, 2.0, 3.0, 4.0], 0.5) == pytest.approx(2.5)
    assert reports.percentile_cont([1.0, 2.0, 3.0, 4.0], 0.9) == pytest.approx(3.7)
    assert reports.percentile_cont([10.0, 20.0, 30.0], 0.5) == 20.0


def test_percentile_aggregate_refuses_a_fraction_outside_zero_to_one():
    with pytest.raises(ValueError, match="fraction"):
        reports.PercentileCont("id", fraction=1.5)


def answered_tickets() -> None:
    """Five answered tickets (10, 20, 30, 40 and 60 minutes), one unanswered, one too old."""
    opened = NOW - timedelta(days=1)
    for minutes in (10, 20, 30, 40):
        filed(
            created_at=opened,
            problem_type="topup_withdrawal",
            first_responded_at=opened + timedelta(minutes=minutes),
        )
    filed(
        created_at=opened,
        problem_type="account_security",
        first_responded_at=opened + timedelta(minutes=60),
    )
    filed(created_at=opened, problem_type="account_security")
    filed(
        created_at=BEFORE_PERIOD,
        problem_type="account_security",
        first_responded_at=BEFORE_PERIOD + timedelta(days=3),
    )


EXPECTED_FIRST_RESPONSE = reports.FirstResponse(
    # Sorted 600, 1200, 1800, 2400, 3600 s: the 90th percentile lies 0.6 of the way from the
    # 4th to the 5th value.
    overall=ResponseTimes(count=5, median=1800.0, p90=3120.0),
    by_problem_type={
        "topup_withdrawal": ResponseTimes(count=4, median=1500.0, p90=2220.0),
        "account_security": ResponseTimes(count=1, median=3600.0, p90=3600.0),
    },
)


def assert_first_response(figures: reports.FirstResponse) -> None:
    def rounded(times: ResponseTimes) -> tuple:
        return (times.count, round(times.median, 3), round(times.p90, 3))

    assert rounded(figures.overall) == rounded(EXPECTED_FIRST_RESPONSE.overall)
    assert {key: rounded(value) for key, value in figures.by_problem_type.items()} == {
        key: rounded(value) for key, value in EXPECTED_FIRST_RESPONSE.by_problem_type.items()
    }


@pytest.mark.django_db
def test_first_response_times_median_and_p90_on_this_database():
    answered_tickets()

    assert_first_response(reports.first_response_times(period=WEEK))


@pytest.mark.django_db
def test_first_response_times_python_path():
    answered_tickets()
    answered = Ticket.objects.filter(created_at__gte=WEEK.start, first_responded_at__isnull=False)

    assert_first_response(reports.first_response_times_in_python(answered))


def test_first_response_times_database_path_uses_percentile_cont(postgres):
    answered_tickets()
    answered = Ticket.objects.filter(
        created_at__gte=WEEK.start, first_responded_at__isnull=False
    ).order_by()

    assert_first_response(reports.first_response_times_in_database(answered))


@pytest.mark.django_db
def test_first_response_times_with_no_answered_ticket():
    filed(created_at=NOW - timedelta(days=1))

    figures = reports.first_response_times(period=WEEK)

    assert figures.overall == ResponseTimes(count=0, median=None, p90=None)
    assert figures.by_problem_type == {}


@pytest.mark.django_db
def test_sla_compliance_per_team_counts_tickets_with_a_target():
    payments = Team.objects.get(code="payments")
    transactions = Team.objects.get(code="transactions")
    due = NOW + timedelta(hours=2)
    opened = NOW - timedelta(days=2)
    filed(created_at=opened, team=payments, first_response_due=due, resolution_due=due)
    filed(
        created_at=opened,
        team=payments,
        first_response_due=due,
        first_response_breached_at=NOW,
        resolution_due=due,
    )
    filed(created_at=opened, team=payments)  # no target: not counted
    filed(created_at=opened, team=transactions, first_response_due=due)
    filed(created_at=opened, first_response_due=due, first_response_breached_at=NOW)
    filed(
        created_at=BEFORE_PERIOD,
        team=transactions,
        first_response_due=due,
        first_response_breached_at=NOW,
    )

    compliance = reports.sla_compliance_per_team(period=WEEK)

    assert compliance == [
        TeamCompliance("payments", "Payments", "充值提现组", 2, 1, 2, 2),
        TeamCompliance("transactions", "Transactions", "交易组", 1, 1, 0, 0),
        TeamCompliance(None, "", "", 1, 0, 0, 0),
    ]


@pytest.mark.django_db
def test_backlog_by_age_buckets_open_tickets_by_status():
    filed(created_at=NOW - timedelta(hours=2), status=Status.NEW)
    filed(created_at=NOW - timedelta(days=1), status=Status.OPEN)  # exactly a day: 1 to 3
    filed(created_at=NOW - timedelta(days=2), status=Status.OPEN)
    filed(created_at=NOW - timedelta(days=5), status=Status.PENDING)
    filed(created_at=NOW - timedelta(days=10), status=Status.NEW)
    filed(created_at=NOW - timedelta(days=10), status=Status.RESOLVED)
    filed(created_at=NOW - timedelta(days=10), status=Status.CLOSED)

    backlog = reports.backlog_by_age(now=NOW)

    assert backlog == {
        Status.NEW: {
            "under_1_day": 1,
            "from_1_to_3_days": 0,
            "from_3_to_7_days": 0,
            "over_7_days": 1,
        },
        Status.OPEN: {
            "under_1_day": 0,
            "from_1_to_3_days": 2,
            "from_3_to_7_days": 0,
            "over_7_days": 0,
        },
        Status.PENDING: {
            "under_1_day": 0,
            "from_1_to_3_days": 0,
            "from_3_to_7_days": 1,
            "over_7_days": 0,
        },
    }


def chat(*, status: str, queued_at: datetime, rating: int | None = None) -> Conversation:
    conversation = make_conversation(visitor_key=f"visitor-{queued_at.timestamp()}-{status}")
    Conversation.objects.filter(pk=conversation.pk).update(
        status=status, queued_at=queued_at, rating=rating
    )
    conversation.refresh_from_db()
    return conversation


@pytest.mark.django_db
def test_satisfaction_averages_and_distribution_for_tickets_and_chats():
    resolved = NOW - timedelta(days=1)
    for rating in (5, 4, 4):
        filed(
            created_at=NOW - timedelta(days=30),
            status=Status.RESOLVED,
            resolved_at=resolved,
            satisfaction_rating=rating,
        )
    filed(created_at=NOW - timedelta(days=30), resolved_at=BEFORE_PERIOD, satisfaction_rating=1)
    filed(created_at=NOW - timedelta(days=2), resolved_at=resolved)  # not rated
    closed = Conversation.Status.CLOSED
    chat(status=closed, queued_at=NOW - timedelta(days=1), rating=5)
    chat(status=closed, queued_at=NOW - timedelta(days=3), rating=2)
    chat(status=closed, queued_at=BEFORE_PERIOD, rating=3)
    chat(status=Conversation.Status.ACTIVE, queued_at=NOW - timedelta(minutes=5))

    satisfaction = reports.satisfaction_ratings(period=WEEK)

    assert satisfaction.tickets.count == 3
    assert satisfaction.tickets.average == pytest.approx(13 / 3)
    assert satisfaction.tickets.distribution == {1: 0, 2: 0, 3: 0, 4: 2, 5: 1}
    assert satisfaction.chats == Ratings(
        count=2, average=3.5, distribution={1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    )


@pytest.mark.django_db
def test_chats_now_counts_waiting_and_active_chats_and_the_longest_wait():
    oldest = NOW - timedelta(minutes=12)
    chat(status=Conversation.Status.QUEUED, queued_at=oldest)
    chat(status=Conversation.Status.QUEUED, queued_at=NOW - timedelta(minutes=2))
    chat(status=Conversation.Status.ACTIVE, queued_at=NOW - timedelta(minutes=30))
    chat(status=Conversation.Status.CLOSED, queued_at=NOW - timedelta(hours=3))

    assert reports.chats_now() == reports.ChatsNow(queued=2, active=1, oldest_queued_at=oldest)


@pytest.mark.django_db
def test_chats_now_with_no_chat():
    assert reports.chats_now() == reports.ChatsNow(queued=0, active=0, oldest_queued_at=None)


@pytest.mark.django_db
def test_guard_events_per_day_by_kind():
    def refused(kind: str, at: datetime) -> None:
        event = GuardEvent.objects.create(source=GuardEvent.Source.CONTACT_FORM, kind=kind)
        GuardEvent.objects.filter(pk=event.pk).update(created_at=at)

    refused("recovery_phrase", NOW - timedelta(hours=1))
    refused("recovery_phrase", NOW - timedelta(hours=2))
    refused("private_key", NOW - timedelta(hours=2))
    refused("card_number", datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI))
    refused("card_number", BEFORE_PERIOD)

    events = reports.guard_events_per_day(period=WEEK)

    assert sorted(events, key=lambda row: (row.day, row.kind)) == [
        GuardCount(date(2026, 11, 20), "card_number", 1),
        GuardCount(date(2026, 11, 25), "private_key", 1),
        GuardCount(date(2026, 11, 25), "recovery_phrase", 2),
    ]


@pytest.mark.django_db
def test_dashboard_figures_fill_every_day_and_total_the_period():
    filed(created_at=NOW - timedelta(days=1), problem_type="account_security")
    filed(created_at=NOW - timedelta(days=1), problem_type="account_security", channel="chat")
    filed(created_at=NOW, problem_type="other")
    data = reports.dashboard_compute(days=7, now=NOW)

    figure = reports.dashboard_figure(data=data, name="opened_by_problem_type")

    assert [row[0].value for row in figure.rows] == [day.isoformat() for day in WEEK.dates]
    labels = [column.label for column in figure.columns]
    security = labels.index(str(ProblemType.ACCOUNT_SECURITY.label))
    other = labels.index(str(ProblemType.OTHER.label))
    assert [row[security].value for row in figure.rows] == [0, 0, 0, 0, 0, 2, 0]
    assert [row[-1].value for row in figure.rows] == [0, 0, 0, 0, 0, 2, 1]
    assert figure.footer[security].value == 2
    assert figure.footer[other].value == 1
    assert figure.footer[-1].value == 3
    assert figure.chart["datasets"][security - 1]["data"] == [0, 0, 0, 0, 0, 2, 0]


@pytest.mark.django_db
def test_dashboard_figures_are_labelled_in_the_current_language():
    payments = Team.objects.get(code="payments")
    filed(created_at=NOW - timedelta(days=1), team=payments, first_response_due=NOW)
    data = reports.dashboard_compute(days=7, now=NOW)

    with translation.override("zh-hans"):
        chinese = {figure.name: figure for figure in reports.dashboard_figures(data=data)}
    with translation.override("en"):
        english = {figure.name: figure for figure in reports.dashboard_figures(data=data)}

    assert "账户安全" in [column.label for column in chinese["opened_by_problem_type"].columns]
    assert "Account security" in [
        column.label for column in english["opened_by_problem_type"].columns
    ]
    assert chinese["sla_compliance"].rows[0][0].text == "充值提现组"
    assert english["sla_compliance"].rows[0][0].text == "Payments"


@pytest.mark.django_db
def test_dashboard_sla_figure_shows_shares_and_leaves_no_target_empty():
    transactions = Team.objects.get(code="transactions")
    opened = NOW - timedelta(days=1)
    for breached in (None, None, None, NOW):
        filed(
            created_at=opened,
            team=transactions,
            first_response_due=NOW,
            first_response_breached_at=breached,
        )
    data = reports.dashboard_compute(days=7, now=NOW)

    row = reports.dashboard_figure(data=data, name="sla_compliance").rows[0]

    assert [cell.text for cell in row[1:]] == ["4", "75.0%", "0", "—"]
    assert [cell.value for cell in row[1:]] == [4, 75.0, 0, None]


@pytest.mark.django_db
def test_first_response_chart_switches_to_hours_for_slow_answers():
    opened = NOW - timedelta(days=1)
    filed(created_at=opened, first_responded_at=opened + timedelta(minutes=10))

    def chart() -> dict:
        data = reports.dashboard_compute(days=7, now=NOW)
        with translation.override("en"):
            return reports.dashboard_figure(data=data, name="first_response").chart

    fast = chart()
    filed(created_at=opened, first_responded_at=opened + timedelta(hours=5, minutes=10))
    slow = chart()

    assert fast["axis"] == "Minutes"
    assert fast["datasets"][0]["data"][0] == 10.0
    assert slow["axis"] == "Hours"
    assert slow["datasets"][1]["data"][0] == pytest.approx(4.67, abs=0.01)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (45, "45 s"),
        (12 * 60 + 59, "12 min"),
        (3 * 3600 + 5 * 60, "3 h 5 min"),
        (2 * 86400 + 4 * 3600 + 59, "2 d 4 h"),
    ],
)
def test_duration_short(seconds, text):
    with translation.override("en"):
        assert reports.duration_short(seconds) == text
