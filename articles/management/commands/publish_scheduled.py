"""Publish the approved changes whose go-live time has come: run every minute (the systemd
timer in deploy/nightcramps-publish.timer), so readers see a scheduled change within about a
minute of its time."""

from django.core.management.base import BaseCommand

from articles.publishing import publish_due


class Command(BaseCommand):
    help = "Publish approved changes whose go-live time has come."

    def handle(self, *args, **options):
        published = publish_due()
        if published or options["verbosity"] > 1:
            self.stdout.write(f"Published {published} scheduled change(s).")
