"""What `manage.py check --deploy` checks beyond Django's own: settings a production site must
not leave at their defaults, though the site runs with them (docs/deploy.md)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

PLACEHOLDER_DOMAIN = ".example"


@register(Tags.security, deploy=True)
def contact_address_is_real(app_configs, **kwargs):
    """Readers are told to write to CONTACT_EMAIL (the About page, the report form)."""
    if settings.CONTACT_EMAIL.endswith(PLACEHOLDER_DOMAIN):
        return [
            Warning(
                f"Readers are told to write to {settings.CONTACT_EMAIL}, an address nobody reads.",
                hint="Set DJANGO_CONTACT_EMAIL to the editors' real address.",
                id="articles.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def email_is_sent(app_configs, **kwargs):
    """Reviewers learn by email that a change waits for them (articles/notices.py)."""
    if not settings.EMAIL_HOST:
        return [
            Warning(
                "No mail server: reviewers and authors are not emailed about changes; the "
                "emails are printed to the app server's log instead.",
                hint="Set DJANGO_EMAIL_HOST (and DJANGO_EMAIL_HOST_USER, "
                "DJANGO_EMAIL_HOST_PASSWORD) to the mail server the site sends through.",
                id="articles.W002",
            )
        ]
    return []
