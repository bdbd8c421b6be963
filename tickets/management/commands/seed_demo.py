"""Load the demo data of the embedded default: the help centre, demo agent accounts and a few
tickets. Safe to run again: nothing is duplicated."""

from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agents.models import AgentProfile, Team, TeamMembership
from tickets.services import ticket_create


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    first_name: str
    is_superuser: bool
    agent_code: str
    # Teams the account leads (may reassign their tickets); an admin leads every team.
    leads: tuple[str, ...] = ()


DEMO_ACCOUNTS = (
    DemoAccount(
        "admin", "demo-admin-password", "Admin", is_superuser=True, agent_code="WS-ADM2N4K7QX"
    ),
    DemoAccount(
        "agent",
        "demo-agent-password",
        "Lin",
        is_superuser=False,
        agent_code="WS-AGT3N5H8RW",
        leads=("transactions",),
    ),
)


DEMO_TICKETS = (
    {
        "problem_type": "account_security",
        "channel": "web",
        "subject": "Log-in from a city I have never been to",
        "description": "Last night I got an email about a log-in from another city. It was not "
        "me. I changed my password, but I am worried my funds are at risk.",
        "customer_email": "li.wei@example.com",
        "customer_name": "Li Wei",
        "language": "en",
        "evidence": {
            "security_issue": "unrecognised_activity",
            "noticed_at": "2026-11-24T22:10:00+08:00",
            "funds_moved": "no",
        },
    },
    {
        "problem_type": "abnormal_transaction",
        "channel": "web",
        "subject": "USDT 转账显示完成但对方没收到",
        "description": "昨天下午三点我转了 200 USDT 到交易所，钱包里显示已完成，"
        "但交易所说没有到账。",
        "customer_email": "zhang.min@example.com",
        "customer_name": "张敏",
        "language": "zh-hans",
        "transaction_hash": "0x" + "5e" * 32,
        "transaction_network": "ethereum",
        "evidence": {
            "transaction_at": "2026-11-24T15:00:00+08:00",
            "amount": "200",
            "asset": "USDT",
            "network": "ethereum",
            "counterparty": "0x52908400098527886E0F7030069857D2E4169EE7",
            "transaction_hash": "0x" + "5e" * 32,
            "status_shown": "completed_not_received",
        },
    },
    {
        "problem_type": "topup_withdrawal",
        "channel": "phone",
        "subject": "Withdrawal to bank card refused: daily limit",
        "description": "Customer called: withdrawal of 20,000 CNY to a bank card was refused with "
        "'Daily limit exceeded'. Asks how to raise the limit.",
        "customer_email": "sam.chen@example.com",
        "customer_name": "Sam Chen",
        "language": "en",
    },
)


class Command(BaseCommand):
    help = "Load demo data (demo agent log-ins with known passwords). Refused with DEBUG off."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Load even with DEBUG off (demo passwords are public: never on a real desk).",
        )

    def handle(self, *args, allow_without_debug: bool = False, **options):
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(
                "Refusing to create demo accounts with known passwords while DEBUG is off."
            )
        call_command("load_help_centre", stdout=self.stdout)
        with transaction.atomic():
            for account in DEMO_ACCOUNTS:
                self.ensure_account(account)
        # Tickets after the agents, so routing can assign them.
        for number, ticket in enumerate(DEMO_TICKETS):
            ticket_create(submission_key=UUID(int=number + 1), **ticket)
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Log in at /agent/login/ as:"))
        for account in DEMO_ACCOUNTS:
            role = "admin" if account.is_superuser else "agent"
            self.stdout.write(f"  {role:6} {account.username} / {account.password}")
        self.stdout.write(
            "The first log-in of each sets up two-factor log-in: have an authenticator app ready."
        )

    def ensure_account(self, account: DemoAccount) -> None:
        user, _ = get_user_model().objects.get_or_create(username=account.username)
        user.first_name = account.first_name
        user.email = f"{account.username}@support.wallet.example"
        user.is_staff = True
        user.is_superuser = account.is_superuser
        user.set_password(account.password)
        user.save()
        AgentProfile.objects.update_or_create(
            user=user,
            defaults={
                "display_name": account.first_name,
                "agent_code": account.agent_code,
                "availability": AgentProfile.Availability.ONLINE,
            },
        )
        for team in Team.objects.all():
            TeamMembership.objects.update_or_create(
                team=team,
                user=user,
                defaults={"is_lead": account.is_superuser or team.code in account.leads},
            )
