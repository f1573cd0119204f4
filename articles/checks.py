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
