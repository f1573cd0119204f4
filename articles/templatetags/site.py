"""What the site's templates need beyond Django's own tags: absolute addresses, the pages'
structured data, and the login pause's times."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.templatetags.static import static
from django.utils import timezone
from django.utils.encoding import iri_to_uri
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .. import markdown, seo, share_images
from ..models import SHARE_DESCRIPTION_LENGTH, SHARE_TITLE_LENGTH

register = template.Library()

# What json_script escapes: nothing in the data can close the <script> element around it.
JSON_SCRIPT_ESCAPES = (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E"))


@register.simple_tag(takes_context=True)
def page_url(context):
    """This page's absolute address, without the query string (canonical link, print). Not
    build_absolute_uri(request.path): a path such as //evil.example/causes/ would make that
    http://evil.example/causes/."""
    request = context["request"]
    return request.build_absolute_uri("/")[:-1] + iri_to_uri(request.path)


@register.simple_tag(takes_context=True)
def absolute_url(context, path):
    return context["request"].build_absolute_uri(path)


@register.simple_tag(takes_context=True)
def structured_data(context):
    """A <script type="application/ld+json"> block describing the page (see articles.seo),
    from the view's trail, title, description and the content the page shows."""
    names = (
        "title", "description", "article", "section", "kind", "sections", "changed", "review",
    )  # fmt: skip
    data = seo.structured_data(
        context["request"],
        trail=context["trail"],
        **{name: context[name] for name in names if context.get(name) is not None},
    )
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    for char, escaped in JSON_SCRIPT_ESCAPES:
        payload = payload.replace(char, escaped)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.filter
def from_now(delta):
    """The moment that is `delta` (a timedelta) from now."""
    return timezone.now() + delta


@register.filter
def minutes(delta):
    """A timedelta in whole minutes."""
    return round(delta.total_seconds() / 60)


DEFAULT_DESCRIPTION = (
    "What two published articles say about calf cramps at night: why they happen, how to "
    "stop one now and how to keep them from coming back."
)


@register.simple_tag(takes_context=True)
def share_texts(context):
    """The page's title and description as a shared link shows them (Open Graph, Twitter,
    the description meta tag): the view's share_title or title, and its description, each
    cut at a word to fit; and the share image's description, which names the site once on
    a page titled with its name (the home page)."""
    site = share_images.SITE_NAME
    title = context.get("share_title") or context.get("title") or site
    title = markdown.shorten(str(title), SHARE_TITLE_LENGTH)
    description = context.get("description") or DEFAULT_DESCRIPTION
    return {
        "title": title,
        "description": markdown.shorten(str(description), SHARE_DESCRIPTION_LENGTH),
        "image_alt": title if title == site else f"{title} | {site}",
    }


@register.simple_tag(takes_context=True)
def share_image_url(context, title):
    """The absolute address of the page's own share image (made once, then stored); a
    draft's preview shows the site's own, so no image of an unpublished title is made."""
    if context.get("preview"):
        return context["request"].build_absolute_uri(static("img/share.png"))
    return context["request"].build_absolute_uri(share_images.url_for(title))
