"""The page cache for readers: whole public pages, stamped with the content version.

Whether a stored page is current is decided by the *content version*, a token kept in the
database beside the content (articles/content_version.py) and replaced in the same transaction
as every save or delete of an article, section, page text or redirect. Each reader's request
reads it (one primary-key lookup) and serves a stored page only when the page's stamp, the
code's fingerprint plus that token, is current. So the cache (Redis, or files) only makes
pages faster: down, hung, full, flushed or restarted with old data, it can never serve a page
from before a committed save. The stamp is also the page's ETag.

Public pages are sent with Cache-Control for shared caches (the nginx front in
deploy/nginx.conf, or a CDN): fresh for a second, then revalidated with If-None-Match, and
usable when the site is down. Editors (the session cookie) get `private, no-store` pages,
never the readers' copy. docs/decisions/0003-serving-from-the-front.md says why.

Views mark their responses with @public_page; PageCacheMiddleware stores and serves them.
"""

import hashlib
import logging
import time
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control

from . import content_version

log = logging.getLogger(__name__)

# Pages go stale only by a version change; the timeout just lets unvisited pages expire.
PAGE_TIMEOUT = 24 * 60 * 60
# What shared caches may do with a public page. Fresh for 1 s: with nginx's one-second clock
# an edit reaches readers within 2 s. A CDN may serve it 1 s more while it revalidates, and
# for a day while the site answers errors. Browsers revalidate every time (max-age=0).
PUBLIC_CACHE_CONTROL = {
    "public": True,
    "max_age": 0,
    "s_maxage": 1,
    "stale_while_revalidate": 1,
    "stale_if_error": 24 * 60 * 60,
}
# After the cache fails, a worker leaves it alone this long: a hung cache server then costs
# one timeout per worker now and then, not one per request.
CACHE_RETRY_AFTER = 5
# The database cannot be reached (down, restarting, out of connections).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def _build_id():
    """A fingerprint of the code and templates that render pages, taken at start-up.

    Part of every page's stamp: after a deploy, pages rendered by the previous code (by
    workers still running it, say) are never served by the new one.
    """
    root = Path(settings.BASE_DIR)
    files = sorted(
        [
            *root.glob("templates/**/*.html"),
            *root.glob("articles/**/*.py"),
            *root.glob("cramps_site/*.py"),
        ]
    )
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    digest = hashlib.blake2b(digest_size=6)
    for path in [*files, manifest]:
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


BUILD_ID = _build_id()

# Per process: the last content version read from the database, and until when the cache is
# left alone after a failure.
_state = {"version": None, "cache_down_until": 0.0}


def reset():
    """Forget this process's state (for tests that swap the cache)."""
    _state.update(version=None, cache_down_until=0.0)


def content_changed(*, using="default", **kwargs):
    """Give the content a new version: connected to saves and deletes in articles/apps.py.

    Runs inside the save's transaction, so other connections see the new version exactly when
    they see the new rows, and a rolled-back save leaves the version as it was.
    """
    try:
        content_version.bump(using)
    except DatabaseError:
        if transaction.get_connection(using).in_atomic_block:
            raise  # the save fails rather than be hidden from readers
        # post_migrate while the table is not there (migrating backwards): nothing to version.
        log.warning("No content version table; run migrate.", exc_info=True)


def _current_version():
    """The content version from the database, or the last one read if it cannot answer.

    While the database is down nothing can be saved, so the last version this process read is
    still the current one (or None: nothing can be served from the cache).
    """
    try:
        _state["version"] = content_version.current()
    except DATABASE_UNAVAILABLE:
        log.warning("The database does not answer; serving stored pages of the last version.")
    return _state["version"]


def cache_call(method, *args):
    """A cache call that gives None, and leaves the cache alone for a while, when it fails."""
    if time.monotonic() < _state["cache_down_until"]:
        return None
    try:
        return method(*args)
    except Exception:
        log.exception("The page cache is unavailable; rendering without it.")
        _state["cache_down_until"] = time.monotonic() + CACHE_RETRY_AFTER
        return None


def cache_health():
    """None when the cache stores and returns a value, else what went wrong (for /healthz)."""
    try:
        cache.set("healthz", "ok", 10)
        if cache.get("healthz") != "ok":
            return "does not keep values"
    except Exception as error:
        return f"unavailable ({type(error).__name__})"
    return None


# What a view says about its page that a copy from the cache says too (the sitemap's
# X-Robots-Tag, the feed's Last-Modified); the middleware around this one add the rest.
KEPT_HEADERS = ("Content-Type", "X-Robots-Tag", "Last-Modified")


def _page_key(request):
    # The page shows its own absolute address (canonical link, print footer), so the key has
    # scheme, host and path; not the query string, which public pages ignore (anyone could
    # otherwise fill the cache with ?1, ?2, ...). Hashed to suit every cache backend.
    url = request.build_absolute_uri(request.path).encode()
    return "page:" + hashlib.blake2b(url, digest_size=16).hexdigest()


def public_page(view):
    """Mark the view's responses as public pages, which PageCacheMiddleware may cache."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.public_page = True
        return response

    return wrapped


class PageCacheMiddleware:
    """Answers readers from the page cache, ahead of the rest of the middleware.

    Placed right after the middleware that add security headers, so a cached page still gets
    them, but before sessions, authentication, URL resolving and the view: none of those has
    anything to do for an anonymous reader's GET, and skipping them keeps a hit cheap.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or settings.SESSION_COOKIE_NAME in request.COOKIES:
            # Not a reader's page view. Someone logged in (an editor) always gets a fresh page,
            # never the readers' copy; neither this cache nor a shared one may keep theirs.
            response = self.get_response(request)
            if getattr(response, "public_page", False):
                patch_cache_control(response, private=True, no_store=True)
            return response

        # Read before rendering: a save committed meanwhile leaves this copy with an old stamp.
        version = _current_version()
        if version is None:
            return self.get_response(request)  # the database is down: the view says so
        stamp = f"{BUILD_ID}-{version}"
        etag = f'"{stamp}"'
        # Any other GET looks here too (it finds nothing): which view answers is known only
        # after URL resolving, which a hit skips.
        key = _page_key(request)
        entry = cache_call(cache.get, key)
        if entry is not None and entry[0] == stamp:
            response = HttpResponse(entry[2], headers=entry[1])
            response.headers["Content-Length"] = str(len(entry[2]))
        else:
            response = self.get_response(request)
            if not getattr(response, "public_page", False):
                return response
            if request.method == "GET" and response.status_code == 200 and not response.cookies:
                kept = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
                page = (stamp, kept, response.content)
                cache_call(cache.set, key, page, PAGE_TIMEOUT)
        response.headers["ETag"] = etag
        patch_cache_control(response, **PUBLIC_CACHE_CONTROL)
        response = get_conditional_response(request, etag=etag, response=response)
        # For the nginx front (deploy/nginx.conf), which counts whole seconds: keep the page
        # until the end of this second, so its copy is at most 1 s old (s-maxage=1 would
        # mean 1 to 2 s there). Also on a 304, which renews the front's copy. nginx does not
        # pass the header on.
        response.headers["X-Accel-Expires"] = f"@{int(time.time())}"
        return response
