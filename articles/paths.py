"""Addresses of the site's pages, worked out once per process rather than on every link.

A page links to the same articles and topics many times (credit lines, breadcrumbs, the
structured data), and each reverse() costs about 20 µs: together a tenth of rendering a topic
page with an empty cache. An address depends only on the URLconf and the script prefix, never
on content, so it is kept; tests that swap the URLconf clear it (setting_changed).
"""

import functools

from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse

# Addresses kept: far more than the site has pages; the least used go first.
MAX_KEPT = 4096


def page_path(name, **kwargs):
    """reverse(name, kwargs=kwargs), remembered: page_path("articles:article", article=slug)."""
    return _reverse(get_urlconf(), get_script_prefix(), name, tuple(sorted(kwargs.items())))


@functools.lru_cache(maxsize=MAX_KEPT)
def _reverse(urlconf, script_prefix, name, kwargs):
    return reverse(name, urlconf, kwargs=dict(kwargs))


setting_changed.connect(lambda **kwargs: _reverse.cache_clear(), weak=False)
