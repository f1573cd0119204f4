from django.core.management.base import BaseCommand

from articles.loader import load_content


class Command(BaseCommand):
    help = "Load the shipped articles and sections. Safe to run again: editors' changes are kept."

    def handle(self, *args, **options):
        counts = load_content()
        summary = ", ".join(f"{count} {what}" for what, count in sorted(counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Content loaded: {summary or 'nothing to load'}."))
