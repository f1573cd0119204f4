"""The site's URLs plus the floor: the least any page can cost (for `make bench` only)."""

from django.http import HttpResponse
from django.urls import path

from cramps_site.urls import handler500  # noqa: F401 (the site's own error pages)
from cramps_site.urls import urlpatterns as site_urlpatterns


def floor(request):
    """A fixed small response through the same middleware: no database, cache or template."""
    return HttpResponse("floor\n", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor), *site_urlpatterns]
