import os

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from agents.services import first_admin_create

ADMIN_VARIABLES = ("FIRST_ADMIN_USERNAME", "FIRST_ADMIN_EMAIL", "FIRST_ADMIN_PASSWORD")


class Command(BaseCommand):
    help = (
        "Set up a deployment: migrate, load the shipped help centre (never overwriting admin "
        "edits) and create the first admin from FIRST_ADMIN_USERNAME, FIRST_ADMIN_EMAIL and "
        "FIRST_ADMIN_PASSWORD while no superuser exists. Safe to run on every start."
    )

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
        call_command("load_help_centre", stdout=self.stdout)
        username, email, password = (os.environ.get(name, "").strip() for name in ADMIN_VARIABLES)
        if not (username and password):
            self.stdout.write(
                "First admin: FIRST_ADMIN_USERNAME and FIRST_ADMIN_PASSWORD unset, none created "
                "(or run: python manage.py createsuperuser)."
            )
            return
        try:
            user = first_admin_create(username=username, email=email, password=password)
        except ValidationError as error:
            raise CommandError(f"FIRST_ADMIN_*: {' '.join(error.messages)}") from None
        if user is None:
            self.stdout.write("First admin: a superuser exists already, nothing changed.")
        else:
            self.stdout.write(
                f"First admin {user.username!r} created; the first log-in at /agent/login/ sets "
                "up two-factor log-in. Remove FIRST_ADMIN_PASSWORD from .env now."
            )
