"""Template context for every page: the addresses in the site's header and footer."""

import functools

from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

from .models import Kind


def site_links(request):
    return {"links": _links(get_urlconf(), get_script_prefix())}


@functools.cache
def _links(urlconf, script_prefix):
    """The same for every request a process serves, so worked out once, not on every page:
    reversing them and looking up the static files' hashed names was a fifth of the time
    spent rendering a page. They depend on the code and static files, never on content."""
    return {
        "home": reverse("articles:home", urlconf),
        "topics": {
            kind: reverse("articles:topic", urlconf, kwargs={"kind": kind}) for kind in Kind
        },
        "search": reverse("articles:search", urlconf),
        "about": reverse("articles:about", urlconf),
        "feed": reverse("articles:feed", urlconf),
        "favicon": static("img/favicon.svg"),
        "stylesheet": static("css/site.css"),
        "script": static("js/share.js"),
        "share_image": static("img/share.png"),
    }


# Tests swap the URLconf and the static files storage (override_settings).
setting_changed.connect(lambda **kwargs: _links.cache_clear(), weak=False)
