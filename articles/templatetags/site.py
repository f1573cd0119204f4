from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag(takes_context=True)
def absolute_url(context, path):
    """The full address of a path on this site, for canonical links and share previews."""
    return context["request"].build_absolute_uri(path)


@register.filter
def from_now(delta):
    """The moment that is `delta` (a timedelta) from now."""
    return timezone.now() + delta
