"""Agents' queue benchmark: the list, its saved views, searches and pages at a million tickets.

    .venv/bin/python -m bench.queue_bench [--requests 30] [--warmups 3] [--database-url URL]

Serves the site as in production (uvicorn, DEBUG off, collected static files) on the database
that bench.fill_tickets filled, logs in through the admin's login form as a superuser and as an
ordinary agent (in one team), and requests each URL in turn, one request at a time: status,
median and p95 in ms. A URL that answers 404 (not built yet) is reported and skipped.

SQL statements are counted without any code in the site: each page is rendered once more in this
process (Django's test client under CaptureQueriesContext, same settings and database), and every
statement that reads tickets_ticket or tickets_message is EXPLAINed for a sequential scan. For the
list and each saved view, the main query (the page of tickets) is built with the admin's own
ChangeList, or with equivalent ORM filters where the admin has no such view yet (each plan says
which), and its EXPLAIN (ANALYZE, BUFFERS) plan is printed.
"""

import argparse
import http.client
import math
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

from bench.faq_bench import machine
from bench.fill_tickets import AGENT_USERNAME_PREFIX, QUEUE_DATABASE_URL
from bench.server import bench_environment, ensure_database, manage, production_server

SAVED_VIEWS = ("mine", "team_unassigned", "at_risk", "breached", "waiting", "solved", "all")
CHANGELIST = "/admin/tickets/ticket/"
ADMIN_USERNAME = "queue-bench-admin"
AGENT_USERNAME = "queue-bench-agent"  # only when the fill's agents are missing
SEQ_SCAN = re.compile(r"(?:Parallel )?Seq Scan on (tickets_ticket|tickets_message)\b")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=QUEUE_DATABASE_URL)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per URL")
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--language", default="zh-hans", help="Accept-Language of the requests")
    parser.add_argument(
        "--only", action="append", default=[], help="measure only these URL names (repeatable)"
    )
    parser.add_argument(
        "--url", action="append", default=[], metavar="NAME=PATH", help="measure one more URL"
    )
    parser.add_argument("--no-plans", action="store_true", help="skip the EXPLAIN plans")
    args = parser.parse_args()
    if args.requests < 1 or args.warmups < 0:
        parser.error("--requests must be at least 1 and --warmups not negative")

    env = bench_environment()
    env["DATABASE_URL"] = args.database_url
    ensure_database(env)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    os.environ.update(env)
    import django

    django.setup()

    tickets, messages = table_estimates()
    if tickets < 1:
        sys.exit(f"no tickets in {args.database_url}: run `python -m bench.fill_tickets` first")
    users = bench_users_ensure()
    urls = bench_urls(agent=users[1][0])
    for extra in args.url:
        name, _, path = extra.partition("=")
        urls.append((name, path))
    if args.only:
        urls = [(name, path) for name, path in urls if name in args.only]

    log_path = str(Path(tempfile.gettempdir()) / "queue-bench-server.log")
    results: dict[str, list[UrlResult]] = {}
    with production_server(env, log_path=log_path) as (port, _server):
        for user, password in users:
            client = HttpClient(port, language=args.language)
            if not client.login(user.get_username(), password, second_factor_code(user)):
                print(f"login as {user.get_username()} failed: see {log_path}", file=sys.stderr)
                continue
            results[user.get_username()] = [
                measure(client, name, path, requests=args.requests, warmups=args.warmups)
                for name, path in urls
            ]
            client.close()
    for user, _password in users:
        for result in results.get(user.get_username(), []):
            if result.status != 404:
                result.queries, result.seq_scans = page_statements(user, result.path, args.language)

    print(f"machine: {machine()}")
    print(
        f"server: uvicorn, 1 process, DEBUG off, {args.database_url.rsplit('@', 1)[-1]}; "
        f"{args.requests} sequential requests per URL after {args.warmups} warm-ups, "
        f"Accept-Language {args.language}"
    )
    print(f"data: about {tickets:,} tickets and {messages:,} messages (planner estimates)")
    for user, _password in users:
        if user.get_username() in results:
            print()
            print(f"as {describe(user)}")
            print_results(results[user.get_username()])
    if not args.no_plans:
        print()
        print_plans(users)


@dataclass
class UrlResult:
    name: str
    path: str
    status: int = 0
    location: str = ""
    latencies_ms: list[float] = field(default_factory=list)
    queries: int | None = None
    seq_scans: list[str] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else math.nan

    @property
    def p95_ms(self) -> float:
        """Nearest-rank 95th percentile."""
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]


class HttpClient:
    """One keep-alive connection with a cookie jar: enough for the admin's session and CSRF."""

    def __init__(self, port: int, *, language: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.language = language
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Host": "localhost", "Accept-Language": self.language}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{key}={value}" for key, value in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        content = response.read()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content

    def login(self, username: str, password: str, code: str) -> bool:
        """The agents' two-step log-in (password, then the authenticator code), CSRF included."""
        for path, fields in (
            ("/agent/login/?next=/admin/", {"username": username, "password": password}),
            ("/agent/login/verify/?next=/admin/", {"code": code}),
        ):
            _status, _headers, page = self.request("GET", path)
            token = CSRF_FIELD.search(page.decode("utf-8", "replace"))
            if token is None:
                return False
            status, headers, _page = self.request(
                "POST", path, {"csrfmiddlewaretoken": token[1], "next": "/admin/", **fields}
            )
            if status != 302 or "/login/" in headers.get("location", "").replace(
                "/login/verify/", ""
            ):
                return False
        return True

    def close(self) -> None:
        self.connection.close()


def measure(client: HttpClient, name: str, path: str, *, requests: int, warmups: int) -> UrlResult:
    """Warm-ups, then `requests` timed GETs; a 404 (not built yet) stops after the first."""
    result = UrlResult(name, path)
    for number in range(warmups + requests):
        started = time.perf_counter()
        status, headers, _content = client.request("GET", path)
        elapsed = (time.perf_counter() - started) * 1000
        result.status, result.location = status, headers.get("location", "")
        if status == 404:
            break
        if number >= warmups:
            result.latencies_ms.append(elapsed)
    return result


def page_statements(user, path: str, language: str) -> tuple[int | None, list[str]]:
    """The SQL statements of one render of `path` in this process, and the seq-scan findings."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client(HTTP_HOST="localhost", raise_request_exception=False)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = bench_authenticator(user).persistent_id
    session.save()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    if response.status_code >= 500:
        return None, [f"renders {response.status_code} in process"]
    findings = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or not re.search(
                r"\btickets_(ticket|message)\b", sql
            ):
                continue
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            for table in sorted(set(SEQ_SCAN.findall(plan))):
                findings.append(f"{table}: {shorten(sql)}")
    return len(captured.captured_queries), findings


def shorten(sql: str, width: int = 90) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= width else sql[: width - 3] + "..."


def print_results(results: list["UrlResult"]) -> None:
    print(f"  {'URL':22} {'status':>14} {'median ms':>10} {'p95 ms':>8} {'queries':>8}  seq scans")
    for result in results:
        status = str(result.status)
        if result.status == 404:
            status = "404 not built"
        elif 300 <= result.status < 400:
            status = f"{result.status} redirect"
        queries = "-" if result.queries is None else str(result.queries)
        scans = str(len(result.seq_scans)) if result.seq_scans else "none"
        timing = (
            f"{result.median_ms:10.1f} {result.p95_ms:8.1f}"
            if result.latencies_ms
            else f"{'-':>10} {'-':>8}"
        )
        print(f"  {result.name:22} {status:>14} {timing} {queries:>8}  {scans}")
    for result in results:
        if 300 <= result.status < 400:
            print(f"    {result.name}: redirects to {result.location}")
        for finding in result.seq_scans:
            print(f"    {result.name}: Seq Scan on {finding}")


# --- Users and targets -----------------------------------------------------------------------


def bench_authenticator(user):
    """The bench user's authenticator (agents need a second factor), made on first use."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="bench", confirmed=True)


def second_factor_code(user) -> str:
    """The code the bench user's authenticator app would show now."""
    from django_otp.oath import TOTP

    device = bench_authenticator(user)
    return (
        f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():0{device.digits}d}"
    )


def bench_users_ensure() -> list[tuple[object, str]]:
    """A superuser and an ordinary agent (one team, not a lead), each with a fresh password."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from agents.models import AgentProfile, Team, TeamMembership

    user_model = get_user_model()
    admin, _created = user_model.objects.get_or_create(
        username=ADMIN_USERNAME,
        defaults={"email": "queue-bench-admin@support.wallet.example"},
    )
    admin.is_staff = admin.is_superuser = True
    # One of the fill's agents, so "mine" holds the tickets routing gave them.
    agent = (
        user_model.objects.filter(username__startswith=AGENT_USERNAME_PREFIX)
        .annotate(teams=Count("team_memberships"))
        .filter(teams=1, team_memberships__is_lead=False)
        .order_by("username")
        .first()
    )
    if agent is None:
        agent, _created = user_model.objects.get_or_create(
            username=AGENT_USERNAME, defaults={"is_staff": True}
        )
        AgentProfile.objects.get_or_create(
            user=agent,
            defaults={"display_name": "Queue bench", "agent_code": "QB-AGENT", "capacity": 40},
        )
        team = Team.objects.filter(code="transactions").first() or Team.objects.first()
        TeamMembership.objects.get_or_create(team=team, user=agent)
    agent.is_staff = True
    users = []
    for user in (admin, agent):
        password = secrets.token_urlsafe(18)
        user.set_password(password)
        user.save()
        users.append((user, password))
    return users


def describe(user) -> str:
    if user.is_superuser:
        return f"superuser {user.get_username()}"
    teams = ", ".join(user.team_memberships.values_list("team__code", flat=True))
    return f"agent {user.get_username()} (team {teams})"


def bench_urls(*, agent) -> list[tuple[str, str]]:
    """The list, its saved views, three searches, one ticket page and the dashboard."""
    from tickets.models import Status, Ticket

    team_ids = list(agent.team_memberships.values_list("team_id", flat=True))
    # Recent tickets of the agent's team: one it may open, a customer, a transaction.
    recent = Ticket.objects.filter(team_id__in=team_ids).order_by("-id")
    ticket = recent.filter(status=Status.OPEN).first() or recent.first()
    hashed = recent.exclude(transaction_hash="").first()
    urls = [("list", CHANGELIST)]
    urls += [(f"view={view}", f"{CHANGELIST}?view={view}") for view in SAVED_VIEWS]
    if ticket is not None:
        urls += [
            ("search reference", f"{CHANGELIST}?q={quote(ticket.reference)}"),
            ("search email", f"{CHANGELIST}?q={quote(ticket.customer_email)}"),
        ]
    if hashed is not None:
        urls.append(("search hash", f"{CHANGELIST}?q={quote(hashed.transaction_hash)}"))
    if ticket is not None:
        urls.append(("ticket page", f"{CHANGELIST}{ticket.pk}/change/"))
    urls.append(("dashboard", "/agent/dashboard/"))
    return urls


def table_estimates() -> tuple[int, int]:
    """Rows in tickets_ticket and tickets_message as the planner knows them (no count(*))."""
    from django.db import connection

    from tickets.models import Message, Ticket

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relname IN (%s, %s)",
            [Ticket._meta.db_table, Message._meta.db_table],
        )
        rows = dict(cursor.fetchall())
    return (
        max(0, rows.get(Ticket._meta.db_table, 0)),
        max(0, rows.get(Message._meta.db_table, 0)),
    )


# --- Plans -----------------------------------------------------------------------------------


def print_plans(users) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of each list's page query, flagging sequential scans."""
    admin, agent = users[0][0], users[1][0]
    cases = [(admin, None), (agent, None)] + [(agent, view) for view in SAVED_VIEWS]
    for user, view in cases:
        queryset, source = main_query(user=user, view=view)
        plan = queryset.explain(analyze=True, buffers=True)
        scans = sorted(set(SEQ_SCAN.findall(plan)))
        verdict = f"SEQ SCAN on {', '.join(scans)}" if scans else "no seq scan on tickets/messages"
        title = f"view={view}" if view else "list"
        print(f"== {title} as {user.get_username()}: {source}; {verdict}")
        for line in plan.splitlines():
            marker = "!! " if SEQ_SCAN.search(line) else "   "
            print(f"{marker}{line}")
        print()


def main_query(*, user, view: str | None):
    """The page of tickets the list shows, built by the admin's own ChangeList."""
    from django.contrib import admin
    from django.test import RequestFactory

    from tickets.models import Ticket

    params = {"view": view} if view else {}
    request = RequestFactory().get(CHANGELIST, params, HTTP_HOST="localhost")
    request.user = user
    changelist = admin.site._registry[Ticket].get_changelist_instance(request)
    return changelist.result_list, "admin ChangeList (the admin's own queryset)"


if __name__ == "__main__":
    main()
