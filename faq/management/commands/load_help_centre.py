from django.core.management.base import BaseCommand, CommandError

from faq.services import HelpCentreContentError, help_centre_load


class Command(BaseCommand):
    help = "Load the shipped help centre (faq/content/). Safe to rerun: nothing is duplicated."

    def add_arguments(self, parser):
        parser.add_argument(
            "--update",
            action="store_true",
            help="Overwrite articles that exist with the shipped text (discards admin edits).",
        )

    def handle(self, *args, update: bool = False, **options):
        try:
            report = help_centre_load(update=update)
        except HelpCentreContentError as error:
            raise CommandError(f"Help-centre content is malformed: {error}") from error
        self.stdout.write(
            f"Help centre: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged."
        )
