"""Fill PostgreSQL with a million realistic tickets for the agents' queue benchmark.

    .venv/bin/python -m bench.fill_tickets [--tickets 1000000] [--reset] [--database-url URL]

The database is one of its own (created and migrated when missing). It gets about 50 agents in
the teams of migration tickets/0003 (a lead in each) and tickets over the last two years, more
of them recently, routed as the routing rules route them, with SLA clocks from the team's
business hours and the at-risk and breached marks the periodic check would have set, 2-4
messages each, their audit events, evidence, transaction hashes, ratings and a few refused
secrets. The old tickets are solved; the recent ones and a tail of slow ones make the open
backlog of a few thousand.

Rows go in with COPY, one transaction per batch of tickets with their messages and events, so an
interrupted fill is completed by running it again: without --reset it tops up to --tickets.
"""

import argparse
import bisect
import io
import json
import math
import os
import random
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.server import bench_environment, ensure_database, manage

QUEUE_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/wallet_support_queue_bench"
AGENT_COUNT = 50
AGENT_USERNAME_PREFIX = "queue-agent-"
HISTORY_DAYS = 730
BATCH_SIZE = 20_000
# Tickets a day grow threefold over the two years: density proportional to exp(GROWTH * x).
GROWTH = math.log(3)
SECOND = 1_000_000  # times are integer microseconds since the epoch
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)  # noqa: DTZ001 - business_hours intervals are naive UTC

# Tickets filed per local hour (Asia/Shanghai, where most customers are), relative to the peak.
HOUR_WEIGHTS = (
    0.25, 0.15, 0.10, 0.08, 0.08, 0.10, 0.20, 0.40, 0.70, 0.90, 1.00, 1.00,
    0.90, 0.95, 1.00, 1.00, 0.95, 0.90, 0.85, 0.90, 0.95, 0.90, 0.70, 0.45,
)  # fmt: skip
WEEKEND_WEIGHT = 0.8
PROBLEM_WEIGHTS = {
    "abnormal_transaction": 30,
    "topup_withdrawal": 28,
    "other": 20,
    "account_security": 14,
    "account_frozen": 8,
}
CHANNEL_WEIGHTS = {"web": 42, "in_app": 22, "chat": 16, "email": 12, "phone": 5, "social": 3}
AGENT_FILED_CHANNELS = frozenset({"phone", "social"})  # an agent files these (admin form)
EVIDENCE_CHANNELS = frozenset({"web", "in_app"})  # the contact form asks for evidence
NETWORK_WEIGHTS = {
    "tron": 35,
    "ethereum": 25,
    "bsc": 15,
    "bitcoin": 10,
    "solana": 8,
    "polygon": 4,
    "arbitrum": 3,
}
ZH_SHARE = 65  # percent of customers writing in Chinese
# The first response takes this share of its target (log-normal): about 13% at risk, 8% late.
RESPONSE_MEDIAN, RESPONSE_SIGMA = 0.35, 0.75
RESOLUTION_MEDIAN, RESOLUTION_SIGMA = 0.4, 0.8
SLOW_SHARE = 0.015  # waits on the customer for weeks: the backlog's long tail
AUTO_CLOSE_SHARE = 0.85
PENDING_SHARE = 0.45  # of tickets being worked, those waiting on the customer
RATED_SHARE = 0.35
GUARD_SHARE = 0.003
SHARED_HASH_SHARE = 0.03  # one transaction reported in two tickets
REGULAR_SHARE = 0.3  # tickets from a small set of repeat customers
# References: an affine bijection of the ticket id over all the references (the multiplier is
# prime to the alphabet's 30 letters), so a batch's references are unique without a lookup each.
REFERENCE_MULTIPLIER = 25_214_903_917


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--reset", action="store_true", help="empty the ticket tables first")
    parser.add_argument("--database-url", default=QUEUE_DATABASE_URL)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    args = parser.parse_args()
    if args.tickets < 0:
        parser.error("--tickets must not be negative")

    env = bench_environment()
    env["DATABASE_URL"] = args.database_url
    ensure_database(env)
    manage(env, "migrate", "--noinput", "-v0")
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")  # a lost batch is refilled next run
    started = time.perf_counter()
    report = tickets_fill(
        tickets=args.tickets,
        reset=args.reset,
        seed=args.seed,
        batch_size=args.batch_size,
        progress=_print_progress,
    )
    with connection.cursor() as cursor:  # the visibility map, for index-only scans
        cursor.execute("VACUUM " + ", ".join(_filled_tables()))
    seconds = time.perf_counter() - started
    print(file=sys.stderr)
    print(f"database: {args.database_url.rsplit('@', 1)[-1]}")
    print(
        f"added {report.tickets_added:,} tickets, {report.messages_added:,} messages, "
        f"{report.events_added:,} events, {report.guard_events_added:,} guard events "
        f"in {seconds:.0f} s (fill {report.seconds:.0f} s, then VACUUM)"
    )
    print(f"now {report.tickets_total:,} tickets; open backlog {report.open_backlog:,}")


def _print_progress(done: int, total: int, seconds: float) -> None:
    rate = done / seconds if seconds else 0.0
    left = (total - done) / rate if rate else 0.0
    print(
        f"\r{done:>11,} / {total:,} tickets  {rate:8,.0f}/s  {left:5.0f} s left ",
        end="",
        file=sys.stderr,
        flush=True,
    )


@dataclass
class FillReport:
    tickets_added: int = 0
    messages_added: int = 0
    events_added: int = 0
    guard_events_added: int = 0
    tickets_total: int = 0
    open_backlog: int = 0
    seconds: float = 0.0


def tickets_fill(
    *,
    tickets: int,
    reset: bool = False,
    seed: int = 1,
    now: datetime | None = None,
    agents: int = AGENT_COUNT,
    history_days: int = HISTORY_DAYS,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int, float], None] | None = None,
) -> FillReport:
    """Fill the current database (PostgreSQL) up to `tickets` tickets of realistic data."""
    from django.db import connection, transaction

    from tickets.models import Status, Ticket

    if connection.vendor != "postgresql":
        raise ValueError("bench.fill_tickets loads rows with COPY: it needs PostgreSQL")
    started = time.perf_counter()
    if reset:
        with connection.cursor() as cursor:
            # Inside a transaction (a test), deferred foreign-key checks must run before TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # CASCADE: messages, events, guard events and everything else that hangs off tickets.
            cursor.execute(f'TRUNCATE "{Ticket._meta.db_table}" RESTART IDENTITY CASCADE')
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    desk = agents_ensure(count=agents)
    existing = Ticket.objects.count()
    wanted = max(0, tickets - existing)
    maker = TicketMaker(
        desk=desk,
        seed=seed,
        now=now or datetime.now(UTC),
        history_days=history_days,
        stream=existing,
    )
    report = FillReport()
    times = maker.created_times(wanted)
    chunks = [times[start : start + batch_size] for start in range(0, wanted, batch_size)]
    # The next batch is generated (pure Python, no database) while this one is copied.
    with ThreadPoolExecutor(max_workers=1) as generator:
        upcoming = None
        for chunk in [*chunks, None]:
            following = None
            if chunk is not None:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                        "FROM generate_series(1, %s)",
                        [Ticket._meta.db_table, len(chunk)],
                    )
                    ids = [row[0] for row in cursor.fetchall()]
                following = generator.submit(maker.batch, ids, chunk)
            if upcoming is not None:
                batch = upcoming.result()
                with transaction.atomic(), connection.cursor() as cursor:
                    _unique_references(cursor, batch)
                    for table, columns, rows in batch.tables():
                        _copy(cursor, table, columns, rows)
                report.tickets_added += len(batch.tickets)
                report.messages_added += len(batch.messages)
                report.events_added += len(batch.events)
                report.guard_events_added += len(batch.guard_events)
                if progress is not None:
                    progress(report.tickets_added, wanted, time.perf_counter() - started)
            upcoming = following
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(_filled_tables()))
    report.tickets_total = Ticket.objects.count()
    report.open_backlog = Ticket.objects.filter(
        status__in=(Status.NEW, Status.OPEN, Status.PENDING)
    ).count()
    report.seconds = time.perf_counter() - started
    return report


def _filled_tables() -> list[str]:
    from django.contrib.auth import get_user_model

    from agents.models import AgentProfile, TeamMembership
    from guard.models import GuardEvent
    from tickets.models import Message, Ticket, TicketEvent

    models = (Ticket, Message, TicketEvent, GuardEvent, AgentProfile, TeamMembership)
    return [f'"{model._meta.db_table}"' for model in (*models, get_user_model())]


def _copy(cursor, table: str, columns: list[str], rows: list[str]) -> None:
    if not rows:
        return
    names = ", ".join(f'"{column}"' for column in columns)
    buffer = io.StringIO("".join(rows))
    cursor.cursor.copy_expert(f'COPY "{table}" ({names}) FROM STDIN', buffer, size=1 << 20)


def _unique_references(cursor, batch: "Batch") -> None:
    """Replace the (rare) references that a ticket filed another way already holds."""
    from tickets.models import Ticket, new_reference

    references = [values["reference"] for values in batch.tickets]
    cursor.execute(
        f'SELECT reference FROM "{Ticket._meta.db_table}" WHERE reference = ANY(%s)',  # noqa: S608
        [references],
    )
    taken = {row[0] for row in cursor.fetchall()}
    if not taken:
        return
    in_use = taken | set(references)
    for values in batch.tickets:
        if values["reference"] in taken:
            while (reference := new_reference()) in in_use:
                pass
            in_use.add(reference)
            values["reference"] = reference
    _unique_references(cursor, batch)  # the replacements themselves were not checked yet


# --- Agents --------------------------------------------------------------------------------

AGENT_NAMES = (
    "王芳", "李伟", "张敏", "刘洋", "陈静", "杨磊", "赵丽", "黄勇", "周杰", "吴霞",
    "Emma", "Daniel", "Olivia", "Lucas", "Mia", "Noah", "Ava", "Leo", "Chloe", "Ethan",
)  # fmt: skip
# Team of each agent in turn: transactions and payments are the busiest desks.
TEAM_PATTERN = (
    "transactions",
    "payments",
    "account-security",
    "general",
    "transactions",
    "payments",
    "account-security",
    "transactions",
    "payments",
    "general",
)


@dataclass(frozen=True)
class DeskAgent:
    user_id: int
    team_ids: tuple[int, ...]
    online: bool
    capacity: int


def agents_ensure(*, count: int = AGENT_COUNT) -> list[DeskAgent]:
    """The bench's agents (queue-agent-01...): created when missing, each in one or two teams,
    the first of each team its lead; they have no password (queue_bench sets one to log in)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from agents.models import AgentProfile, Team, TeamMembership

    teams = {team.code: team for team in Team.objects.all()}
    if not teams:
        raise RuntimeError("no teams: run the migrations first (tickets/0003 creates them)")
    pattern = [code for code in TEAM_PATTERN if code in teams] or sorted(teams)
    user_model = get_user_model()
    availabilities = ("online", "online", "online", "away", "offline")
    with transaction.atomic():
        for number in range(1, count + 1):
            name = AGENT_NAMES[(number - 1) % len(AGENT_NAMES)]
            user, created = user_model.objects.get_or_create(
                username=f"{AGENT_USERNAME_PREFIX}{number:02d}",
                defaults={
                    "email": f"agent{number:02d}@support.wallet.example",
                    "first_name": name,
                    "is_staff": True,
                },
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            AgentProfile.objects.get_or_create(
                user=user,
                defaults={
                    "display_name": f"{name} {number:02d}",
                    "agent_code": f"QA-{number:03d}",
                    "availability": availabilities[number % len(availabilities)],
                    "capacity": 30 + (number * 7) % 21,
                },
            )
            home = teams[pattern[(number - 1) % len(pattern)]]
            TeamMembership.objects.get_or_create(
                team=home, user=user, defaults={"is_lead": number <= len(pattern[:4])}
            )
            if number % 5 == 0:  # some agents help a second team
                second = teams[pattern[number % len(pattern)]]
                if second != home:
                    TeamMembership.objects.get_or_create(team=second, user=user)
    memberships: dict[int, list[int]] = {}
    for user_id, team_id in TeamMembership.objects.filter(
        user__username__startswith=AGENT_USERNAME_PREFIX
    ).values_list("user_id", "team_id"):
        memberships.setdefault(user_id, []).append(team_id)
    profiles = AgentProfile.objects.filter(user_id__in=memberships).order_by("user_id")
    return [
        DeskAgent(
            user_id=profile.user_id,
            team_ids=tuple(sorted(memberships[profile.user_id])),
            online=profile.availability == AgentProfile.Availability.ONLINE,
            capacity=profile.capacity,
        )
        for profile in profiles
    ]


# --- Business time, fast ---------------------------------------------------------------------


class BusinessClock:
    """`common.business_hours.add_business_time` on integer microseconds, for one calendar.

    The calendar's merged business intervals between `first` and `last` are computed once (by
    business_hours itself), so adding business time is two bisections instead of a walk over
    the days; outside that range it falls back to the real function.
    """

    def __init__(self, calendar, *, first: datetime, last: datetime) -> None:
        from common.business_hours import _intervals

        self.calendar = calendar
        self.always_open = calendar._always_open
        self.opens: list[int] = []
        self.closes: list[int] = []
        self.before: list[int] = []  # business time before each interval
        self.after: list[int] = []  # ... and up to its end
        if self.always_open:
            return
        total = 0
        for opens, closes in _intervals(calendar, first.date(), last.date()):
            self.opens.append(_micros(opens))
            self.closes.append(_micros(closes))
            self.before.append(total)
            total += self.closes[-1] - self.opens[-1]
            self.after.append(total)
        # Starts before this may fall in a window that opened before `first`.
        self.earliest = _micros(datetime.combine(first.date(), datetime.min.time())) + 2 * DAY

    def add(self, start: int, duration: int) -> int:
        if self.always_open:
            return start + duration
        index = bisect.bisect_right(self.closes, start)
        if start >= self.earliest and index < len(self.closes):
            opens = self.opens[index]
            target = self.before[index] + max(0, start - opens) + duration
            found = bisect.bisect_left(self.after, target, index)
            if found < len(self.after):
                return self.opens[found] + target - self.before[found]
        return self._slow_add(start, duration)

    def _slow_add(self, start: int, duration: int) -> int:
        from common.business_hours import add_business_time

        moment = _EPOCH + timedelta(microseconds=start)
        return _micros(add_business_time(moment, timedelta(microseconds=duration), self.calendar))


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        return (moment - _EPOCH_NAIVE) // timedelta(microseconds=1)
    return (moment - _EPOCH) // timedelta(microseconds=1)


# --- Content ---------------------------------------------------------------------------------

ZH_CUSTOMERS = (
    ("王芳", "wang.fang"), ("李伟", "li.wei"), ("张敏", "zhang.min"), ("刘洋", "liu.yang"),
    ("陈静", "chen.jing"), ("杨磊", "yang.lei"), ("赵丽", "zhao.li"), ("黄勇", "huang.yong"),
    ("周杰", "zhou.jie"), ("吴霞", "wu.xia"), ("徐明", "xu.ming"), ("孙婷", "sun.ting"),
    ("马超", "ma.chao"), ("朱琳", "zhu.lin"), ("胡斌", "hu.bin"), ("郭峰", "guo.feng"),
    ("", "user"),
)  # fmt: skip
EN_CUSTOMERS = (
    ("Sam Chen", "sam.chen"), ("Emma Wilson", "emma.w"), ("Daniel Kim", "dkim"),
    ("Olivia Brown", "olivia.b"), ("Lucas Martin", "lucas"), ("Mia Nguyen", "mia.n"),
    ("Noah Patel", "noah.p"), ("Ava Garcia", "ava.g"), ("Leo Tan", "leo.tan"), ("", "crypto"),
)  # fmt: skip
ZH_DOMAINS = ("qq.com", "163.com", "126.com", "foxmail.com", "gmail.com", "sina.com")
EN_DOMAINS = ("gmail.com", "outlook.com", "proton.me", "yahoo.com", "icloud.com")

# (subject, first message) per problem type, variant and language; {amount} and {asset} filled in.
TEXTS: dict[tuple[str, str], dict[str, tuple[tuple[str, str], ...]]] = {
    ("account_security", ""): {
        "en": (
            (
                "Someone logged in to my account",
                "I got an alert about a log-in from a device I "
                "do not know. It was not me. Please lock my account until I can check it.",
            ),
            (
                "I cannot log in after changing phones",
                "I moved to a new phone and now the app "
                "asks for a verification code that never arrives. I cannot get into my account.",
            ),
            (
                "Lost my 2FA device",
                "My phone with the authenticator app was lost yesterday. How "
                "can I reset two-factor authentication and get back into my wallet?",
            ),
        ),
        "zh-hans": (
            (
                "账户有陌生登录",
                "收到提醒说有一个陌生设备登录了我的账户，不是我本人操作，请帮我先锁定账户。",
            ),
            (
                "换手机后无法登录",
                "换了新手机以后登录一直要验证码，但是验证码收不到，现在完全进不去账户。",
            ),
            ("二次验证设备丢失", "装有验证器的手机昨天丢了，请问怎么重置二次验证，重新登录钱包？"),
        ),
    },
    ("abnormal_transaction", ""): {
        "en": (
            (
                "{amount} {asset} transfer shows completed but not received",
                "I sent {amount} "
                "{asset} to an exchange yesterday. The app says completed but the exchange says "
                "nothing arrived.",
            ),
            (
                "Transaction stuck pending for hours",
                "My transfer of {amount} {asset} has shown "
                "pending since this morning. Can someone check what is happening?",
            ),
            (
                "A transaction I did not make",
                "There is an outgoing transfer of {amount} {asset} "
                "in my history that I did not make. Please help me understand it.",
            ),
        ),
        "zh-hans": (
            (
                "{amount} {asset} 转账显示完成但对方没收到",
                "昨天转了 {amount} {asset} 到交易所，钱包显示已完成，但交易所说没有收到。",
            ),
            (
                "交易一直显示处理中",
                "今天早上转出的 {amount} {asset} 一直显示处理中，能帮忙查一下吗？",
            ),
            (
                "有一笔不是我发起的交易",
                "记录里有一笔转出 {amount} {asset} 的交易，不是我本人操作的，请帮我查一下。",
            ),
        ),
    },
    ("topup_withdrawal", ""): {
        "en": (
            (
                "Withdrawal to bank card refused",
                "My withdrawal of {amount} CNY to my bank card "
                "was refused with 'Daily limit exceeded'. How do I raise the limit?",
            ),
            (
                "Top-up of {amount} {asset} not credited",
                "I topped up {amount} {asset} two hours "
                "ago and my balance has not changed. The payment left my account.",
            ),
            (
                "Withdrawal pending for two days",
                "A withdrawal I made on Monday still shows "
                "pending. I need the money this week, please check.",
            ),
        ),
        "zh-hans": (
            (
                "提现到银行卡被拒绝",
                "提现 {amount} 元到银行卡被拒绝，提示超出每日限额，请问怎么提高额度？",
            ),
            (
                "充值 {amount} {asset} 未到账",
                "两个小时前充值了 {amount} {asset}，钱已经扣了但余额没有变化。",
            ),
            ("提现两天还在处理中", "周一提交的提现到现在还显示处理中，这周急用，麻烦查一下。"),
        ),
    },
    ("account_frozen", ""): {
        "en": (
            (
                "My account was frozen",
                "I received a notice that my account is frozen for a "
                "security review. I did nothing unusual. How long will this take?",
            ),
            (
                "Account locked after failed verification",
                "My identity verification failed and "
                "now my account is locked. I uploaded my ID again, what else do you need?",
            ),
        ),
        "zh-hans": (
            (
                "账户被冻结了",
                "收到通知说我的账户因安全审核被冻结，我没有任何异常操作，请问要多久能解冻？",
            ),
            (
                "验证失败后账户被锁定",
                "身份验证没有通过，账户就被锁定了，我已经重新上传了证件，还需要什么材料？",
            ),
        ),
    },
    ("other", ""): {
        "en": (
            (
                "How do I change my phone number?",
                "I have a new phone number and want to update "
                "it in my account, but the settings page does not let me.",
            ),
            (
                "Question about network fees",
                "Why was the network fee for my last transfer so "
                "much higher than usual? Is there a way to pay less?",
            ),
            (
                "App crashes when opening history",
                "Since the last update the app closes every "
                "time I open my transaction history. I use an Android phone.",
            ),
        ),
        "zh-hans": (
            ("怎么更换绑定手机号", "我换了新手机号，想在账户里更新，但是设置页面改不了。"),
            (
                "关于网络手续费的问题",
                "为什么我上一笔转账的网络手续费比平时高很多？有办法少付一点吗？",
            ),
            ("打开交易记录时应用闪退", "更新以后每次打开交易记录应用就闪退，我用的是安卓手机。"),
        ),
    },
    ("other", "stolen"): {
        "en": (
            (
                "My account was hacked",
                "Someone logged in who was not me and changed my email. "
                "I think my account was hacked, please help now.",
            ),
        ),
        "zh-hans": (
            (
                "账号被盗了",
                "有人登录了我的账户并改了邮箱，不是我本人操作，我的账号被盗了，请马上帮我处理。",
            ),
        ),
    },
    ("other", "missing"): {
        "en": (
            (
                "Deposit not received",
                "I sent {amount} {asset} to my wallet three hours ago and "
                "it has not arrived. The sender says it is confirmed.",
            ),
        ),
        "zh-hans": (
            (
                "转账没到账",
                "三个小时前别人给我转了 {amount} {asset}，到现在还没到账，对方说已经确认了。",
            ),
        ),
    },
}
AGENT_REPLIES = {
    "en": (
        "Thank you for contacting us. I am looking into this now and will update you shortly.",
        "Thanks for the details. I have passed this to our specialist team and will follow up.",
        "I have checked your account and found the cause. Here is what happened and what to do.",
    ),
    "zh-hans": (
        "您好，感谢您的联系，我正在为您核查，稍后给您回复。",
        "感谢您提供的信息，已转交专员处理，有进展会第一时间通知您。",
        "已为您查到原因，具体情况和处理方法如下。",
    ),
}
AGENT_QUESTIONS = {
    "en": (
        "Could you send us a screenshot of the transaction details page?",
        "Please confirm the last four digits of the bank card you used.",
    ),
    "zh-hans": ("麻烦提供一下交易详情页面的截图。", "请确认一下您使用的银行卡后四位。"),
}
CUSTOMER_REPLIES = {
    "en": ("Is there any update on this?", "Here is the screenshot you asked for.", "Thanks!"),
    "zh-hans": ("请问现在有进展了吗？", "截图已经发给你们了。", "好的，谢谢！"),
}
INTERNAL_NOTES = (
    "Checked the chain explorer: confirmed on chain, waiting for the partner to credit it.",
    "Asked the payments team about the bank's refusal code.",
    "Customer called twice today; keep them updated.",
    "已联系风控同事确认，等待审核结果。",
)
RATING_COMMENTS = {
    "en": ("Quick and helpful, thank you.", "Took too long to get an answer."),
    "zh-hans": ("处理很快，谢谢！", "等了太久才有人回复。"),
}
SECURITY_ISSUES = ("cannot_log_in", "unrecognised_activity", "lost_2fa", "password_reset")
STATUS_SHOWN = (
    "pending",
    "failed",
    "completed_not_received",
    "unknown_transaction",
    "wrong_amount",
)
ASSETS = ("USDT", "USDT", "USDT", "ETH", "BTC", "TRX", "BNB")
NOTICE_TEXTS = (
    "Your account has been temporarily restricted for a security review.",
    "您的账户因安全审核已被临时冻结。",
)
ERROR_MESSAGES = ("Daily limit exceeded", "Card not supported", "", "交易失败，请稍后重试")
GUARD_KINDS = ("recovery_phrase",) * 7 + ("private_key",) * 2 + ("card_number",)
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

OPEN = ("new", "open", "pending")
SOLVED = ("resolved", "closed")
ESCALATED_PRIORITY = {"low": "normal", "normal": "high", "high": "urgent", "urgent": "urgent"}


# --- Tickets ---------------------------------------------------------------------------------

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def _text(value: str) -> str:
    return value.translate(_COPY_ESCAPES)


def _ts(micros: int | None) -> str:
    if micros is None:
        return NULL
    return (_EPOCH + timedelta(microseconds=micros)).isoformat()


def _id(value: int | None) -> str:
    return NULL if value is None else str(value)


@dataclass
class Batch:
    """One batch's rows as COPY text, tickets kept as dicts until references are checked."""

    ticket_columns: list[str]
    ticket_defaults: dict[str, str]
    tickets: list[dict[str, str]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    guard_events: list[str] = field(default_factory=list)

    def tables(self) -> list[tuple[str, list[str], list[str]]]:
        from guard.models import GuardEvent
        from tickets.models import Message, Ticket, TicketEvent

        columns, defaults = self.ticket_columns, self.ticket_defaults
        ticket_rows = [
            "\t".join(values.get(column, defaults.get(column, NULL)) for column in columns) + "\n"
            for values in self.tickets
        ]
        return [
            (Ticket._meta.db_table, columns, ticket_rows),
            (Message._meta.db_table, MESSAGE_COLUMNS, self.messages),
            (TicketEvent._meta.db_table, EVENT_COLUMNS, self.events),
            (GuardEvent._meta.db_table, GUARD_COLUMNS, self.guard_events),
        ]


MESSAGE_COLUMNS = [
    "ticket_id",
    "author_kind",
    "author_id",
    "body",
    "is_internal",
    "channel",
    "client_id",
    "created_at",
]
EVENT_COLUMNS = ["ticket_id", "kind", "field", "old_value", "new_value", "actor_id", "created_at"]
GUARD_COLUMNS = ["ticket_id", "customer_email", "source", "kind", "field", "created_at"]


def _ticket_columns() -> tuple[list[str], dict[str, str]]:
    """Every concrete column of Ticket, and COPY text for those the maker leaves to defaults.

    A column added later with neither a default nor NULL stops the fill here, before any row.
    """
    from tickets.models import Ticket

    columns, defaults = [], {}
    for model_field in Ticket._meta.concrete_fields:
        columns.append(model_field.column)
        if model_field.column in TicketMaker.FILLED:
            continue
        if model_field.has_default() and not (callable(model_field.default) and model_field.unique):
            value = model_field.get_default()
            if isinstance(value, bool):
                value = "t" if value else "f"
            elif isinstance(value, dict | list):
                value = json.dumps(value, ensure_ascii=False)
            defaults[model_field.column] = NULL if value is None else _text(str(value))
        elif model_field.null:
            defaults[model_field.column] = NULL
        else:
            raise RuntimeError(
                f"bench.fill_tickets does not fill Ticket.{model_field.name}: add it to "
                "TicketMaker.ticket()"
            )
    return columns, defaults


class TicketMaker:
    """Realistic tickets, with their messages and events, as COPY rows."""

    FILLED = frozenset(
        {
            "id", "reference", "access_key", "submission_key", "problem_type", "channel",
            "status", "priority", "subject", "customer_email", "customer_name", "customer_id",
            "wallet_account_id", "language", "evidence", "transaction_hash",
            "transaction_network", "team_id", "assignee_id", "needs_routing", "routed_at",
            "first_response_due", "first_response_warn_at", "first_responded_at",
            "first_response_at_risk_at", "first_response_breached_at", "resolution_due",
            "resolution_warn_at", "resolution_paused_at", "resolution_at_risk_at",
            "resolution_breached_at", "escalated_at", "created_at", "updated_at", "resolved_at",
            "closed_at", "satisfaction_rating", "satisfaction_comment",
        }
    )  # fmt: skip

    def __init__(
        self,
        *,
        desk: list[DeskAgent],
        seed: int,
        now: datetime,
        history_days: int = HISTORY_DAYS,
        stream: int = 0,
    ) -> None:
        """`stream` (the tickets already there) makes a top-up draw new random numbers."""
        from django.db.models import Count

        from agents.models import Team
        from tickets.models import (
            REFERENCE_ALPHABET,
            REFERENCE_LENGTH,
            RoutingRule,
            Ticket,
            new_access_key,
        )
        from tickets.sla import sla_targets, team_calendar

        self.seed = seed
        self.now = _micros(now)
        self.start = self.now - history_days * DAY
        self.rng = random.Random(f"{seed}/{stream}")  # noqa: S311 - reproducible, no secrets
        self.alphabet, self.reference_length = REFERENCE_ALPHABET, REFERENCE_LENGTH
        self.reference_space = len(REFERENCE_ALPHABET) ** REFERENCE_LENGTH
        if math.gcd(REFERENCE_MULTIPLIER, self.reference_space) != 1:
            raise RuntimeError("REFERENCE_MULTIPLIER must be prime to the reference alphabet")
        self.reference_offset = random.Random(seed).randrange(self.reference_space)  # noqa: S311
        self.new_access_key = new_access_key
        self.rules = list(RoutingRule.objects.filter(is_active=True).select_related("team"))
        first, last = now - timedelta(days=history_days + 3), now + timedelta(days=400)
        self.teams = {team.pk: team for team in Team.objects.all()}
        self.clocks = {
            team_id: BusinessClock(team_calendar(team), first=first, last=last)
            for team_id, team in self.teams.items()
        }
        self.clocks[None] = BusinessClock(team_calendar(None), first=first, last=last)
        self.targets = {}
        for problem in PROBLEM_WEIGHTS:
            for priority in ESCALATED_PRIORITY:
                first_response, resolution = sla_targets(problem_type=problem, priority=priority)
                self.targets[(problem, priority)] = (
                    first_response // timedelta(microseconds=1),
                    resolution // timedelta(microseconds=1),
                )
        self.members: dict[int | None, list[DeskAgent]] = {None: []}
        for agent in desk:
            for team_id in agent.team_ids:
                self.members.setdefault(team_id, []).append(agent)
        self.open_load = dict.fromkeys((agent.user_id for agent in desk), 0)
        self.open_load.update(
            Ticket.objects.filter(status__in=OPEN, assignee_id__in=self.open_load)
            .values_list("assignee_id")
            .annotate(count=Count("id"))
            .values_list("assignee_id", "count")
        )
        self.ticket_columns, self.ticket_defaults = _ticket_columns()
        self.recent_hashes: deque[tuple[str, str]] = deque(maxlen=500)
        self.routing_cache: dict[tuple, tuple[int | None, str, str]] = {}
        self.customers = 1000

    def reference(self, ticket_id: int) -> str:
        alphabet = self.alphabet
        number = (ticket_id * REFERENCE_MULTIPLIER + self.reference_offset) % self.reference_space
        characters = []
        for _ in range(self.reference_length):
            number, digit = divmod(number, len(alphabet))
            characters.append(alphabet[digit])
        return "WS-" + "".join(characters)

    # Timestamps ---------------------------------------------------------------------------

    def created_times(self, count: int) -> list[int]:
        """`count` creation times over the history, denser recently and by day, sorted."""
        rng, span, scale = self.rng, self.now - self.start, math.expm1(GROWTH)
        self.customers = max(1000, count // 2)
        times = []
        while len(times) < count:
            moment = self.start + int(math.log1p(rng.random() * scale) / GROWTH * span)
            local_seconds = moment // SECOND + 8 * 3600
            weight = HOUR_WEIGHTS[local_seconds % 86400 // 3600]
            if (local_seconds // 86400 + 3) % 7 >= 5:  # 1970-01-01 was a Thursday
                weight *= WEEKEND_WEIGHT
            if rng.random() < weight:
                times.append(moment)
        times.sort()
        return times

    # One batch -----------------------------------------------------------------------------

    def batch(self, ids: list[int], times: list[int]) -> Batch:
        batch = Batch(self.ticket_columns, self.ticket_defaults)
        for ticket_id, created in zip(ids, times, strict=True):
            self.ticket(batch, ticket_id, created)
        return batch

    def ticket(self, batch: Batch, ticket_id: int, created: int) -> None:
        rng, now = self.rng, self.now
        problem = rng.choices(PROBLEMS, cum_weights=CUMULATIVE_PROBLEMS)[0]
        channel = rng.choices(CHANNELS, cum_weights=CUMULATIVE_CHANNELS)[0]
        customer = (
            rng.randrange(max(20, self.customers // 50))
            if rng.random() < REGULAR_SHARE
            else rng.randrange(self.customers)
        )
        name, email, language, wallet_id = _customer(customer)
        variant = ""
        if problem == "other":
            roll = rng.random()
            variant = "stolen" if roll < 0.08 else "missing" if roll < 0.18 else ""
        templates = TEXTS[(problem, variant)][language]
        template_index = rng.randrange(len(templates))
        asset = rng.choice(ASSETS)
        amount = _amount(rng, asset)
        subject, description = (
            part.format(amount=amount, asset=asset) for part in templates[template_index]
        )
        team_id, priority, rule_name = self._route(problem, variant, language, template_index)
        team_code = self.teams[team_id].code if team_id else ""
        members = self.members.get(team_id) or self.members[None]
        clock = self.clocks.get(team_id, self.clocks[None])
        first_target, resolution_target = self.targets.get(
            (problem, priority), self.targets.get((problem, "normal"), (4 * HOUR, 24 * HOUR))
        )

        # The clocks as routing starts them, then what happened.
        routed = created + rng.randint(SECOND // 2, 4 * SECOND)
        first_due = clock.add(created, first_target)
        first_warn = clock.add(created, first_target * 4 // 5)
        resolution_due = clock.add(created, resolution_target)
        resolution_warn = clock.add(created, resolution_target * 4 // 5)
        wait = first_target * rng.lognormvariate(math.log(RESPONSE_MEDIAN), RESPONSE_SIGMA)
        responded = clock.add(created, max(30 * SECOND, int(wait)))
        work = resolution_target * rng.lognormvariate(math.log(RESOLUTION_MEDIAN), RESOLUTION_SIGMA)
        if rng.random() < SLOW_SHARE:
            work *= rng.uniform(3, 12)
        resolved = max(
            clock.add(created, int(work)), responded + rng.randint(5 * MINUTE, 60 * MINUTE)
        )
        closed = resolved + rng.randint(3 * DAY, 7 * DAY)
        if responded > now:
            status, responded, resolved, closed = "new", None, None, None
        elif resolved <= now:
            if rng.random() < AUTO_CLOSE_SHARE and closed <= now:
                status = "closed"
            else:
                status, closed = "resolved", None
        else:
            status = "pending" if rng.random() < PENDING_SHARE else "open"
            resolved = closed = None

        # Who works it: routing picks an online agent with room; the one who answered keeps it.
        assignee = self._assignee(rng, members, status)
        creator = None
        if channel in AGENT_FILED_CHANNELS and members:
            creator = assignee or rng.choice(members).user_id

        # The thread: the first message, the first answer, then 0-2 more (2-4 in all).
        customer_channel = channel if channel in ("chat", "email") else "web"
        reply_channel = "chat" if channel == "chat" else "web"
        thread: list[tuple[int, str, int | None, str, bool, str]] = [
            (
                created,
                "agent" if creator else "customer",
                creator,
                description,
                False,
                channel,
            )
        ]
        worker = assignee or (rng.choice(members).user_id if members else None)
        end = resolved if resolved is not None else now
        paused = None
        if responded is None:
            extras = rng.choice((("customer",), ("note",), ("customer", "note")))
            moments = sorted(rng.randint(created + SECOND, max(created + SECOND, now))
                             for _ in extras)  # fmt: skip
            start_of_extras = created
        else:
            thread.append(
                (responded, "agent", worker, rng.choice(AGENT_REPLIES[language]), False,
                 reply_channel)
            )  # fmt: skip
            if status == "pending":
                extras = rng.choice(((), ("customer", "question"), ("note",)))
            elif status == "open":
                extras = rng.choice((("customer",), ("customer", "note"), ("note",)))
            else:
                extras = rng.choice(((), ("customer",), ("customer", "agent"), ("note",)))
            start_of_extras = responded
            moments = sorted(rng.randint(responded + SECOND, max(responded + SECOND, end - SECOND))
                             for _ in extras)  # fmt: skip
        for kind, moment in zip(extras, moments, strict=True):
            moment = min(max(moment, start_of_extras + SECOND), end)
            if kind == "customer":
                body = rng.choice(CUSTOMER_REPLIES[language])
                thread.append((moment, "customer", None, body, False, customer_channel))
            elif kind == "note":
                note_author = worker or creator
                thread.append((moment, "agent", note_author, rng.choice(INTERNAL_NOTES), True,
                               "web"))  # fmt: skip
            else:
                body = rng.choice(
                    AGENT_QUESTIONS[language] if kind == "question" else AGENT_REPLIES[language]
                )
                thread.append((moment, "agent", worker, body, False, reply_channel))
        if status == "pending":
            paused = max(
                moment for moment, author, _a, _b, internal, _c in thread
                if author == "agent" and not internal
            )  # fmt: skip

        # SLA marks as the periodic check (every minute) sets them on running clocks.
        first_stop = responded if responded is not None else now
        first_risk = _mark(rng, first_warn, first_stop)
        first_breach = _mark(rng, first_due, first_stop)
        resolution_stop = min(x for x in (resolved, paused, now) if x is not None)
        resolution_risk = _mark(rng, resolution_warn, resolution_stop)
        resolution_breach = _mark(rng, resolution_due, resolution_stop)
        breaches = [mark for mark in (first_breach, resolution_breach) if mark is not None]
        escalated = min(breaches) if breaches else None
        routed_priority = priority
        if escalated is not None:
            priority = ESCALATED_PRIORITY[priority]

        rating = comment = None
        rated_at = None
        if status in SOLVED and rng.random() < RATED_SHARE:
            rated_at = resolved + rng.randint(10 * MINUTE, 2 * DAY)
            if rated_at <= now:
                rating = rng.choices((5, 4, 3, 2, 1), (55, 22, 10, 5, 8))[0]
                if rng.random() < 0.3:
                    comment = rng.choice(RATING_COMMENTS[language])
            else:
                rated_at = None

        evidence, transaction_hash, network = {}, "", ""
        if channel in EVIDENCE_CHANNELS:
            evidence, transaction_hash, network = self._evidence(
                rng, problem, created, amount, asset
            )

        # Events, in the order the services write them.
        events: list[tuple[int, str, str, str, str, int | None]] = [
            (created, "created", "", "", "new", creator),
            (routed, "routed", "team", rule_name[:200], team_code, None),
            (routed, "assigned", "assignee", "", str(assignee or ""), None),
        ]
        for moment, author, author_id, _body, internal, _channel in thread[1:]:
            kind_of_reply = "note" if internal else author
            events.append((moment, "replied", "", "", kind_of_reply, author_id))
        if responded is not None:
            events.append((responded, "status", "status", "new", "open", worker))
        if paused is not None:
            events.append((paused, "status", "status", "open", "pending", worker))
        if resolved is not None:
            events.append((resolved, "status", "status", "open", "resolved", worker))
        if closed is not None:
            events.append((closed, "status", "status", "resolved", "closed", None))
        for mark, kind, clock_name in (
            (first_risk, "sla_at_risk", "first_response"),
            (first_breach, "sla_breached", "first_response"),
            (resolution_risk, "sla_at_risk", "resolution"),
            (resolution_breach, "sla_breached", "resolution"),
        ):
            if mark is not None:
                events.append((mark, kind, clock_name, "", "", None))
        if escalated is not None:
            events.append((escalated, "escalated", "priority", routed_priority, priority, None))
        if rating is not None:
            events.append((rated_at, "rated", "satisfaction_rating", "", str(rating), None))
        events.sort(key=lambda event: event[0])
        for moment, kind, field_name, old, new, actor in events:
            batch.events.append(
                f"{ticket_id}\t{kind}\t{field_name}\t{_text(old)}\t{_text(new)}\t{_id(actor)}\t"
                f"{_ts(moment)}\n"
            )
        thread.sort(key=lambda message: message[0])
        for moment, author_kind, author_id, body, internal, message_channel in thread:
            client_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            batch.messages.append(
                f"{ticket_id}\t{author_kind}\t{_id(author_id)}\t{_text(body)}\t"
                f"{'t' if internal else 'f'}\t{message_channel}\t"
                f"{client_id if message_channel == 'chat' else NULL}\t{_ts(moment)}\n"
            )
        if rng.random() < GUARD_SHARE:
            in_reply = len(thread) > 1 and rng.random() < 0.5
            batch.guard_events.append(
                f"{ticket_id if in_reply else NULL}\t{_text(email)}\t"
                f"{('chat' if channel == 'chat' else 'reply') if in_reply else 'contact_form'}\t"
                f"{rng.choice(GUARD_KINDS)}\t{'body' if in_reply else 'description'}\t"
                f"{_ts(thread[-1][0] if in_reply else created - rng.randint(MINUTE, HOUR))}\n"
            )

        last_activity = max(
            moment for moment in (thread[-1][0], resolved, closed, paused, rated_at, routed)
            if moment is not None
        )  # fmt: skip
        batch.tickets.append(
            {
                "id": str(ticket_id),
                "reference": self.reference(ticket_id),
                "access_key": self.new_access_key(),
                "submission_key": (
                    str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    if channel in EVIDENCE_CHANNELS
                    else NULL
                ),
                "problem_type": problem,
                "channel": channel,
                "status": status,
                "priority": priority,
                "subject": _text(subject),
                "customer_email": _text(email),
                "customer_name": _text(name),
                "customer_id": NULL,
                "wallet_account_id": wallet_id if rng.random() < 0.7 else "",
                "language": language,
                "evidence": _text(json.dumps(evidence, ensure_ascii=False)),
                "transaction_hash": transaction_hash,
                "transaction_network": network,
                "team_id": _id(team_id),
                "assignee_id": _id(assignee),
                "needs_routing": "f",
                "routed_at": _ts(routed),
                "first_response_due": _ts(first_due),
                "first_response_warn_at": _ts(first_warn),
                "first_responded_at": _ts(responded),
                "first_response_at_risk_at": _ts(first_risk),
                "first_response_breached_at": _ts(first_breach),
                "resolution_due": _ts(resolution_due),
                "resolution_warn_at": _ts(resolution_warn),
                "resolution_paused_at": _ts(paused),
                "resolution_at_risk_at": _ts(resolution_risk),
                "resolution_breached_at": _ts(resolution_breach),
                "escalated_at": _ts(escalated),
                "created_at": _ts(created),
                "updated_at": _ts(last_activity),
                "resolved_at": _ts(resolved),
                "closed_at": _ts(closed),
                "satisfaction_rating": _id(rating),
                "satisfaction_comment": _text(comment or ""),
            }
        )

    def _route(
        self, problem: str, variant: str, language: str, template_index: int
    ) -> tuple[int | None, str, str]:
        """The first matching routing rule, as tickets.routing.routing_decide picks it."""
        key = (problem, variant, language, template_index)
        if key not in self.routing_cache:
            subject, body = TEXTS[(problem, variant)][language][template_index]
            text = f"{subject}\n{body}"
            rule = next(
                (rule for rule in self.rules if rule.matches(problem_type=problem, text=text)),
                None,
            )
            self.routing_cache[key] = (
                (rule.team_id, rule.priority, rule.name) if rule else (None, "normal", "")
            )
        return self.routing_cache[key]

    def _assignee(self, rng: random.Random, members: list[DeskAgent], status: str) -> int | None:
        if not members:
            return None
        if status in SOLVED:
            return rng.choice(members).user_id
        if status == "new":  # routing: online, with room, fewest open tickets
            candidates = [
                agent
                for agent in members
                if agent.online and self.open_load[agent.user_id] < agent.capacity
            ]
        else:  # being worked: the agent who answered, the least loaded of the team
            candidates = members
        if not candidates:
            return None
        least = min(self.open_load[agent.user_id] for agent in candidates)
        chosen = rng.choice([a for a in candidates if self.open_load[a.user_id] == least])
        self.open_load[chosen.user_id] += 1
        return chosen.user_id

    def _evidence(
        self, rng: random.Random, problem: str, created: int, amount: str, asset: str
    ) -> tuple[dict[str, str], str, str]:
        """The contact form's facts of this problem type, with the ticket's hash if any."""
        local = _EPOCH + timedelta(microseconds=created - rng.randint(10 * MINUTE, 20 * HOUR))
        when = local.astimezone(SHANGHAI).replace(second=0, microsecond=0, tzinfo=None)
        if problem == "account_security":
            evidence = {
                "security_issue": rng.choice(SECURITY_ISSUES),
                "noticed_at": when.isoformat(),
                "funds_moved": rng.choice(("no", "no", "yes", "unsure")),
            }
            return evidence, "", ""
        if problem == "abnormal_transaction":
            if self.recent_hashes and rng.random() < SHARED_HASH_SHARE:
                transaction_hash, network = rng.choice(self.recent_hashes)
            else:
                network = rng.choices(NETWORKS, cum_weights=CUMULATIVE_NETWORKS)[0]
                transaction_hash = _transaction_hash(rng, network)
                self.recent_hashes.append((transaction_hash, network))
            evidence = {
                "transaction_at": when.isoformat(),
                "amount": amount,
                "asset": asset,
                "network": network,
                "counterparty": _counterparty(rng, network),
                "transaction_hash": transaction_hash,
                "status_shown": rng.choice(STATUS_SHOWN),
            }
            return evidence, transaction_hash, network
        if problem == "topup_withdrawal":
            method = rng.choice(("bank_card", "bank_card", "crypto_network", "third_party"))
            evidence = {
                "direction": rng.choice(("top_up", "withdrawal")),
                "method": method,
                "amount": amount,
                "occurred_at": when.isoformat(),
                "error_message": rng.choice(ERROR_MESSAGES),
            }
            if method == "crypto_network" and rng.random() < 0.5:
                network = rng.choices(NETWORKS, cum_weights=CUMULATIVE_NETWORKS)[0]
                transaction_hash = _transaction_hash(rng, network)
                return evidence, transaction_hash, network
            return evidence, "", ""
        if problem == "account_frozen":
            evidence = {
                "notice_text": rng.choice(NOTICE_TEXTS),
                "notice_date": when.date().isoformat(),
            }
            return evidence, "", ""
        return {}, "", ""


def _cumulative(weights: dict[str, int]) -> tuple[tuple[str, ...], list[int]]:
    total, cumulative = 0, []
    for weight in weights.values():
        total += weight
        cumulative.append(total)
    return tuple(weights), cumulative


PROBLEMS, CUMULATIVE_PROBLEMS = _cumulative(PROBLEM_WEIGHTS)
CHANNELS, CUMULATIVE_CHANNELS = _cumulative(CHANNEL_WEIGHTS)
NETWORKS, CUMULATIVE_NETWORKS = _cumulative(NETWORK_WEIGHTS)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _mark(rng: random.Random, threshold: int, stop: int) -> int | None:
    """When the minutely SLA check saw `threshold` pass, if the clock still ran then."""
    checked = threshold + rng.randint(SECOND, MINUTE)
    return checked if checked < stop else None


def _customer(number: int) -> tuple[str, str, str, str]:
    """One customer's name, email, language and wallet account ID: the same on every ticket."""
    spread = (number * 2_654_435_761) & 0xFFFFFFFF
    if spread % 100 < ZH_SHARE:
        language, (name, local), domains = "zh-hans", ZH_CUSTOMERS[spread % 17], ZH_DOMAINS
    else:
        language, (name, local), domains = "en", EN_CUSTOMERS[spread % 10], EN_DOMAINS
    email = f"{local}{number}@{domains[(spread >> 8) % len(domains)]}"
    wallet_id = f"WA{(number * 7919 + 1_000_003) % 10**10:010d}"
    return name, email, language, wallet_id


def _amount(rng: random.Random, asset: str) -> str:
    if asset == "BTC":
        return f"{rng.uniform(0.001, 0.5):.4f}"
    if asset == "ETH":
        return f"{rng.uniform(0.01, 5):.3f}"
    return str(rng.choice((50, 100, 200, 300, 500, 1000, 2000, 5000, 20000)))


def _transaction_hash(rng: random.Random, network: str) -> str:
    if network == "solana":
        return "".join(rng.choices(BASE58, k=88))
    digest = f"{rng.getrandbits(256):064x}"
    return digest if network in ("bitcoin", "tron") else f"0x{digest}"


def _counterparty(rng: random.Random, network: str) -> str:
    if network == "bitcoin":
        return "bc1q" + "".join(rng.choices("023456789acdefghjklmnpqrstuvwxyz", k=38))
    if network == "tron":
        return "T" + "".join(rng.choices(BASE58, k=33))
    if network == "solana":
        return "".join(rng.choices(BASE58, k=44))
    return f"0x{rng.getrandbits(160):040x}"


if __name__ == "__main__":
    main()
