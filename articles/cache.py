"""The page cache for readers: whole public pages, kept until an editor saves anything.

Every cached page is stamped with the site-wide *content version*, a random token kept in
the shared cache and replaced whenever an article, section or redirect is saved or deleted.
A page whose stamp is not the current version is rendered again, so a reader never sees a
page from before a save, whichever worker or machine serves them (the version lives in the
cache that all of them share, see CACHES in settings). The version is also the page's ETag:
a browser revalidates with If-None-Match and gets a 304 until the content changes.

Views mark their responses with @public_page; PageCacheMiddleware stores and serves them.
Django's own cache middleware cannot be invalidated on save and would serve editors the
readers' copy; hence this small one instead.
"""

import hashlib
import logging
import secrets
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control

log = logging.getLogger(__name__)

VERSION_KEY = "content-version"
# Pages go stale only by a version change; the timeout just lets unvisited pages expire.
PAGE_TIMEOUT = 24 * 60 * 60


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


def _new_version():
    # Random rather than a counter: a version evicted from the cache and started again can
    # never repeat an old one, so a page stored under an old version can never match.
    return secrets.token_hex(8)


def _start_version():
    version = _new_version()
    if cache.add(VERSION_KEY, version, timeout=None):
        return version
    return cache.get(VERSION_KEY) or version


def _bump():
    try:
        cache.set(VERSION_KEY, _new_version(), timeout=None)
    except Exception:
        # The save itself must not fail because the cache is away; but pages cached before it
        # could come back with the cache: say so loudly (docs/deploy.md: clear it then).
        log.exception("The page cache could not be invalidated after a content change.")


def content_changed(*, using="default", **kwargs):
    """Invalidate every cached page: connected to saves and deletes in articles/apps.py."""
    _bump()
    # Until the transaction commits, other connections still read the old rows: a reader
    # rendering then would store an old page under the new version. Bumping again once the
    # change is visible orphans any such page. (Outside a transaction this runs at once.)
    transaction.on_commit(_bump, using=using)


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
            # never the readers' copy, and their page never goes into the cache.
            response = self.get_response(request)
            if getattr(response, "public_page", False):
                patch_cache_control(response, private=True, no_cache=True)
            return response

        # Any other GET looks here too (it finds nothing): which view answers is known only
        # after URL resolving, which a hit skips.
        key = _page_key(request)
        try:
            # One round trip for both (a single MGET on Redis).
            found = cache.get_many([VERSION_KEY, key])
            version = found.get(VERSION_KEY) or _start_version()
        except Exception:
            # The cache is away: readers still get every page, rendered each time.
            log.exception("The page cache is unavailable; rendering without it.")
            return self.get_response(request)
        stamp = f"{BUILD_ID}-{version}"
        etag = f'"{stamp}"'
        entry = found.get(key)
        if entry is not None and entry[0] == stamp:
            response = HttpResponse(entry[2], content_type=entry[1])
            response.headers["Content-Length"] = str(len(entry[2]))
        else:
            # Not cached, or from before the last save or deploy: render it (the version was
            # read before rendering, so a save meanwhile leaves this copy with an old stamp).
            response = self.get_response(request)
            if not getattr(response, "public_page", False):
                return response
            if request.method == "GET" and response.status_code == 200 and not response.cookies:
                try:
                    cache.set(
                        key, (stamp, response["Content-Type"], response.content), PAGE_TIMEOUT
                    )
                except Exception:
                    log.exception("The page cache is unavailable; page not stored.")
        response.headers["ETag"] = etag
        # Browsers keep the page but ask each time (If-None-Match), so a save shows at once.
        patch_cache_control(response, no_cache=True)
        return get_conditional_response(request, etag=etag, response=response)
