"""The Jinja2 environment for the site's public pages (templates/, see TEMPLATES in settings).

Readers' pages are rendered with Jinja2 rather than Django's template language because it is
several times faster at it: Jinja2 compiles a template to Python code once, where Django's
engine walks a tree of nodes and resolves every variable on each render. With an empty page
cache, a topic page spent about 0.6 ms in Django's engine, more than the rest of the request
(`make bench`). The admin, and its one template of ours (articles/templates/admin/), keep
Django's engine.

Everything here is what the templates need beyond plain Jinja2: Django's URL and static-file
helpers, the structured data, and a few of Django's filters with their own behaviour.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.templatetags.static import static
from django.utils import dateformat, timezone
from django.utils.dates import MONTHS
from django.utils.encoding import iri_to_uri
from django.utils.html import format_html
from django.utils.html import linebreaks as django_linebreaks
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from jinja2 import Environment

from . import seo
from .paths import page_path

# What json_script escapes: nothing in the data can close the <script> element around it.
JSON_SCRIPT_ESCAPES = (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E"))


def environment(**options):
    # Django's backend turns autoescaping on unless told otherwise: never let a setting do that.
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)
    # url("articles:topic", kind="relief"), like Django's {% url %} tag.
    env.globals.update(url=page_path, static=static, json_ld=json_ld, time_element=time_element)
    env.globals.update(page_url=page_url)
    env.filters.update(
        linebreaks=linebreaks, truncatechars=truncatechars, from_now=from_now, date=date
    )
    return env


def page_url(request):
    """The page's own absolute address. Not build_absolute_uri(request.path): a path such as
    //evil.example/causes/ would make that http://evil.example/causes/."""
    return request.build_absolute_uri("/")[:-1] + iri_to_uri(request.path)


def time_element(value):
    """<time datetime="2026-03-07…">7 March 2026</time> for a date or datetime."""
    # What date(value, "j F Y") writes, in half its time: pages show several dates.
    value = timezone.template_localtime(value)
    return format_html(
        '<time datetime="{}">{} {} {}</time>',
        value.isoformat(),
        value.day,
        MONTHS[value.month],
        f"{value.year:04d}",
    )


def json_ld(request, trail, **kwargs):
    """A <script type="application/ld+json"> block describing the page (see articles.seo),
    whose breadcrumb list is the page's `trail`, as the view made it."""
    data = seo.structured_data(request, trail=trail, **kwargs)
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    for char, escaped in JSON_SCRIPT_ESCAPES:
        payload = payload.replace(char, escaped)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


def linebreaks(value):
    """Django's linebreaks filter: paragraphs and <br>, the text itself escaped."""
    return mark_safe(django_linebreaks(value, autoescape=True))  # noqa: S308 (escaped above)


def truncatechars(value, length):
    """Django's truncatechars: at most `length` characters, "…" included."""
    return Truncator(value).chars(length)


def from_now(delta):
    """The moment that is `delta` (a timedelta) from now."""
    return timezone.now() + delta


def date(value, format_string):
    """Django's date filter: `value` in the current time zone, in Django's date format."""
    return dateformat.format(timezone.template_localtime(value), format_string)
