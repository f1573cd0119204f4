"""Site-wide views: the health check and the error page for a database outage."""

import logging
import sys

from django.db import connection
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from articles.cache import cache_health

logger = logging.getLogger(__name__)

# The database cannot be reached (down, restarting, out of connections): not a bug.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


TEXT = "text/plain; charset=utf-8"


@never_cache
@require_safe
def healthz(request):
    """200 when the database answers, 503 when it does not: for the proxy and monitoring.

    The page cache only makes pages faster (articles/cache.py): when it fails, the answer is
    still 200, with a second line saying so. GET and HEAD only (405 otherwise), as the pages:
    it changes nothing, so "ok" to a POST or DELETE would say something untrue.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DATABASE_UNAVAILABLE:
        logger.warning("Health check: the database does not answer.", exc_info=True)
        return HttpResponse("database unavailable\n", status=503, content_type=TEXT)
    problem = cache_health()
    if problem:
        logger.warning("Health check: the page cache is %s.", problem)
        return HttpResponse(f"ok\ncache degraded: {problem}\n", content_type=TEXT)
    return HttpResponse("ok\n", content_type=TEXT)


def server_error(request):
    """handler500: the site's 503 page when the database is out of reach, else its 500 page.

    Django calls this while handling the exception, wherever it was raised (a view, a
    middleware), so sys.exc_info() tells which one it was.
    """
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        try:
            response = render(request, "503.html", status=503)
        except Exception:  # the page itself failed: fall back to the plain 500 page
            logger.exception("Could not render the 503 page.")
        else:
            response["Retry-After"] = "30"
            return response
    return defaults.server_error(request)
