"""Load the demo data of the embedded default: demo agent accounts (and, as they land, the help
centre and a few tickets). Safe to run again: nothing is duplicated."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    first_name: str
    is_superuser: bool


DEMO_ACCOUNTS = (
    DemoAccount("admin", "demo-admin-password", "Admin", is_superuser=True),
    DemoAccount("agent", "demo-agent-password", "Lin", is_superuser=False),
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
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Log in at /admin/ as:"))
        for account in DEMO_ACCOUNTS:
            role = "admin" if account.is_superuser else "agent"
            self.stdout.write(f"  {role:6} {account.username} / {account.password}")

    def ensure_account(self, account: DemoAccount) -> None:
        user, _ = get_user_model().objects.get_or_create(username=account.username)
        user.first_name = account.first_name
        user.email = f"{account.username}@support.wallet.example"
        user.is_staff = True
        user.is_superuser = account.is_superuser
        user.set_password(account.password)
        user.save()
