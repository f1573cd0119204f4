import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from articles import seo

register = template.Library()

JSON_SCRIPT_ESCAPES = (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E"))


@register.simple_tag(takes_context=True)
def absolute_url(context, path):
    """The full address of a path on this site, for canonical links and share previews."""
    return context["request"].build_absolute_uri(path)


@register.simple_tag
def time_element(value):
    """<time datetime="2026-03-07…">7 March 2026</time> for a date or datetime: what the date
    filter writes with "Y-m-d" or "c" and "j F Y", at a fraction of its cost (the filter was a
    tenth of rendering a topic page, which shows several dates)."""
    value = timezone.template_localtime(value)  # as the date filter has it
    return format_html(
        '<time datetime="{}">{} {} {}</time>',
        value.isoformat(),
        value.day,
        MONTHS[value.month],
        f"{value.year:04d}",
    )


@register.filter
def from_now(delta):
    """The moment that is `delta` (a timedelta) from now."""
    return timezone.now() + delta


@register.simple_tag(takes_context=True)
def json_ld(context, **kwargs):
    """A <script type="application/ld+json"> block describing the page (see articles.seo),
    whose breadcrumb list is the page's `trail`, as the view made it."""
    data = seo.structured_data(context["request"], trail=context["trail"], **kwargs)
    # The same escaping as json_script: nothing in the data can close the script element.
    # (str.replace, not json_script's str.translate: that took longer than building the data.)
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    for char, escaped in JSON_SCRIPT_ESCAPES:
        payload = payload.replace(char, escaped)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308
