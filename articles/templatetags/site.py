import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from articles import seo

register = template.Library()


@register.simple_tag(takes_context=True)
def absolute_url(context, path):
    """The full address of a path on this site, for canonical links and share previews."""
    return context["request"].build_absolute_uri(path)


@register.filter
def from_now(delta):
    """The moment that is `delta` (a timedelta) from now."""
    return timezone.now() + delta


@register.simple_tag
def breadcrumbs(**kwargs):
    """The page's breadcrumb trail (see articles.seo); use with `as trail`."""
    return seo.breadcrumb_trail(**kwargs)


@register.simple_tag(takes_context=True)
def json_ld(context, **kwargs):
    """A <script type="application/ld+json"> block describing the page (see articles.seo)."""
    data = seo.structured_data(context["request"], **kwargs)
    # The same escaping as json_script: nothing in the data can close the script element.
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(
        {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}
    )
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308
