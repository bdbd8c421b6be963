from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from security.two_factor import two_factor_reset


class Command(BaseCommand):
    help = (
        "Forget an agent's authenticator and recovery codes (a lost phone): they set up a new "
        "one at their next log-in, and their open sockets close."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        two_factor_reset(user=user)
        self.stdout.write(f"Two-factor log-in reset for {username}; set it up again at log-in.")
