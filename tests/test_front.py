"""Readers served from the front (deploy/nginx.conf), with the real parts: nginx, gunicorn,
Redis, PostgreSQL on loopback (tests/helpers/front.py); first two tests with the test client.

An edit reaches readers through the front within 2 s, under load and whatever Redis is doing;
an editor is never served from the front's cache nor stored into it; with PostgreSQL stopped
or an app server hung or killed, readers get every page the front has served, without error.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from tests.helpers.front import (
    Nginx,
    Postgres,
    Redis,
    save_heading,
    seconds_until_readers_see,
    section_path,
)
from tests.helpers.servers import (
    ROOT,
    Gunicorn,
    free_port,
    links,
    prepare_site,
    production_env,
    throwaway_database,
)

SPASM = "/articles/calf-muscle-spasm/"
PAGES = ["/", "/relief/", SPASM, f"{SPASM}relief/", f"{SPASM}source/"]
# The pages that show the heading of the spasm article's relief section.
RELIEF_PAGES = ["/relief/", SPASM, f"{SPASM}relief/"]
EDIT_BOUND = 2.0
SHARED = "public, max-age=0, s-maxage=1, stale-while-revalidate=1, stale-if-error=86400"


def front_env(tmp, database_url, https_port, **extra):
    """Production settings, HTTPS redirect on, as behind the front on `https_port`."""
    env = production_env(
        tmp / "var",
        database_url,
        DJANGO_CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{https_port}",
        **extra,
    )
    env.pop("DJANGO_SECURE_SSL_REDIRECT")
    return env


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = Redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def front(tmp_path_factory, redis_server):
    """Two app servers sharing a database and Redis, behind deploy/nginx.conf."""
    tmp = tmp_path_factory.mktemp("front")
    https_port = free_port()
    with throwaway_database(tmp) as database_url:
        env = front_env(tmp, database_url, https_port, REDIS_URL=redis_server.url)
        prepare_site(env)
        apps = []
        try:
            for name in ("a", "b"):
                apps.append(Gunicorn(env, tmp / f"gunicorn-{name}.log"))
            nginx = Nginx(tmp / "nginx", [app.port for app in apps], https_port=https_port)
            try:
                yield {"nginx": nginx, "apps": apps, "env": env, "tmp": tmp}
            finally:
                nginx.stop()
        finally:
            for app in apps:
                app.stop()


@pytest.fixture(scope="module")
def editor(front):
    client = front["nginx"].client()
    client.log_in()
    return client


@contextmanager
def readers(nginx, pages=PAGES, threads=3):
    """Readers loading `pages` through the front until the block ends; every answer is kept."""
    answers = []
    stop = threading.Event()

    def read():
        client = nginx.client()
        while not stop.is_set():
            for page in pages:
                response = client.get(page)
                answers.append((page, response.status, response.body))

    workers = [threading.Thread(target=read, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        yield answers
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)


def reader_errors(answers):
    return [(page, status) for page, status, _ in answers if status != 200]


@pytest.fixture(scope="module")
def relief_section(editor):
    return section_path(editor, "Three measures to relieve leg cramps and night pain")


def edit_and_measure(editor, nginx, relief_section, label):
    heading = f"Three ways to ease a cramp ({label} {time.monotonic_ns()})"
    since = save_heading(editor, relief_section, heading)
    return seconds_until_readers_see(nginx, heading, since, RELIEF_PAGES)


# --- the page cache decides by the database's content version (test client) -----------------


@pytest.mark.django_db
def test_a_cache_restored_with_old_pages_never_hides_a_save(client, content):
    from django.core.cache import cache

    from articles.models import Section

    client.get("/relief/")
    old_pages = dict(cache._cache)  # the local-memory cache's entries, as a snapshot would keep
    section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
    section.heading = "Saved while the cache was away"
    section.save()
    cache._cache.clear()
    cache._cache.update(old_pages)  # the cache comes back with the pages from before the save
    response = client.get("/relief/")
    assert "Saved while the cache was away" in response.content.decode()


@pytest.mark.django_db
def test_healthz_reports_an_unreachable_cache_without_failing(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content.decode().startswith("ok\ncache degraded: unavailable")


# --- what readers get ------------------------------------------------------------------------


def within_one_second(*requests):
    """GET (client, path) pairs again until they all ran within one second of the clock: the
    front keeps a page until the end of the second it fetched it in (X-Accel-Expires)."""
    while True:
        second = int(time.time())
        answers = [client.get(path) for client, path in requests]
        if int(time.time()) == second:
            return answers


def test_readers_are_served_from_the_front(front):
    reader = front["nginx"].client()
    for page in PAGES:
        first, again = within_one_second((reader, page), (reader, page))
        assert first.status == 200
        assert first.headers["Cache-Control"] == SHARED
        assert "X-Accel-Expires" not in first.headers  # for the front only
        assert again.headers["X-Cache-Status"] == "HIT", page
        assert again.body == first.body
    # Query strings share the page's entry: varying them does not reach the app.
    _, tagged = within_one_second((reader, "/relief/"), (reader, "/relief/?utm_source=anything"))
    assert tagged.headers["X-Cache-Status"] == "HIT"
    assert "utm_source" not in tagged.text


def test_search_is_not_kept(front):
    reader = front["nginx"].client()
    for _ in range(2):
        response = reader.get("/search/?q=calcium")
        assert response.status == 200
        assert response.headers["X-Cache-Status"] == "MISS"


def test_an_edit_reaches_readers_within_2_seconds_under_load(front, editor, relief_section):
    nginx = front["nginx"]
    with readers(nginx) as answers:
        seconds = [edit_and_measure(editor, nginx, relief_section, f"load {n}") for n in range(3)]
    assert max(seconds) <= EDIT_BOUND, seconds
    assert answers and not reader_errors(answers)


def test_an_editor_is_never_served_from_nor_stored_into_the_front(front, editor):
    nginx = front["nginx"]
    page = f"{SPASM}causes/"  # no reader has asked for it yet
    for _ in range(2):
        response = editor.get(page)
        assert response.status == 200
        assert response.headers["X-Cache-Status"] == "BYPASS"
        assert response.headers["Cache-Control"] == "private, no-store"
    assert nginx.client().get(page).headers["X-Cache-Status"] == "MISS"
    # And a page readers have in the cache is not what the editor gets.
    reader, for_editor = within_one_second((nginx.client(), page), (editor, page))
    assert reader.headers["X-Cache-Status"] in {"HIT", "REVALIDATED"}
    assert for_editor.headers["X-Cache-Status"] == "BYPASS"
    # Static files are the same for everyone: editors get them from the front too.
    css = next(link for link in links(editor.get(page).text) if link.endswith(".css"))
    nginx.client().get(css)
    assert editor.get(css).headers["X-Cache-Status"] == "HIT"


def test_a_draft_preview_never_reaches_a_reader(front, editor):
    nginx = front["nginx"]
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", DRAFT],
        cwd=ROOT,
        env=front["env"],
        check=True,
        timeout=120,
    )
    preview = editor.get("/preview/articles/draft-in-progress/")
    assert preview.status == 200
    assert "Draft in progress" in preview.text
    assert preview.headers["X-Cache-Status"] == "BYPASS"
    reader = nginx.client()
    for path in ("/preview/articles/draft-in-progress/", "/articles/draft-in-progress/"):
        for _ in range(2):
            response = reader.get(path)
            assert response.status == 404, path
            assert "Draft in progress" not in response.text


def test_a_draft_of_a_live_page_and_its_preview_link_are_never_cached(front):
    nginx = front["nginx"]
    reader = nginx.client()
    page = "/articles/calf-muscle-spasm/relief/"
    assert reader.get(page).status == 200  # in the front's cache now

    def shell(code):
        return (
            subprocess.run(
                [sys.executable, "manage.py", "shell", "-c", code],
                cwd=ROOT,
                env=front["env"],
                check=True,
                timeout=120,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1:]
        )

    [link] = shell(DRAFT_OF_A_LIVE_PAGE)
    for _ in range(3):
        response = reader.get(link)
        assert response.status == 200
        assert "A draft heading" in response.text
        assert response.headers["X-Cache-Status"] != "HIT"
        assert "no-store" in response.headers["Cache-Control"]
        assert "A draft heading" not in reader.get(page).text
    shell(
        "from articles.models import PreviewLink; PreviewLink.objects.update(revoked=__import__('django.utils.timezone').utils.timezone.now())"
    )
    assert reader.get(link).status == 404


DRAFT_OF_A_LIVE_PAGE = """
from django.contrib.auth import get_user_model
from articles import publishing
from articles.models import Section
section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
user = get_user_model().objects.create_user("draft-author")
section.plain_heading = "A draft heading"
publishing.save_draft(section, user)
print(publishing.new_preview_link(section, user).get_absolute_url())
"""


DRAFT = """
from articles.models import Article
Article.objects.create(
    title="Draft in progress", slug="draft-in-progress", publisher="P", source_title="S",
    source_text="T", intro="Not for readers yet.",
)
"""


# --- Redis only makes pages faster -----------------------------------------------------------


def test_redis_stopped(front, editor, relief_section, redis_server):
    nginx = front["nginx"]
    edit_and_measure(editor, nginx, relief_section, "before")
    redis_server.stop()
    try:
        health = nginx.client().get("/healthz")
        assert health.status == 200
        assert health.text.startswith("ok\ncache degraded")
        with readers(nginx) as answers:
            seconds = edit_and_measure(editor, nginx, relief_section, "redis stopped")
        assert seconds <= EDIT_BOUND
        assert not reader_errors(answers)
    finally:
        redis_server.start()


def test_redis_hung(front, editor, relief_section, redis_server):
    """Redis accepts connections but answers nothing (SIGSTOP): each worker waits at most its
    socket timeout, then does without it; readers see no error and the edit within 2 s."""
    nginx = front["nginx"]
    edit_and_measure(editor, nginx, relief_section, "before")
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        with readers(nginx) as answers:
            seconds = edit_and_measure(editor, nginx, relief_section, "redis hung")
        assert seconds <= EDIT_BOUND
        assert not reader_errors(answers)
    finally:
        redis_server.process.send_signal(signal.SIGCONT)


def test_redis_flushed(front, editor, relief_section, redis_server):
    nginx = front["nginx"]
    edit_and_measure(editor, nginx, relief_section, "before")
    redis_server.client().flushall()
    assert edit_and_measure(editor, nginx, relief_section, "flushed") <= EDIT_BOUND


def test_redis_restarted_with_old_data(front, editor, relief_section, redis_server):
    nginx = front["nginx"]
    old = f"Before the restart {time.monotonic_ns()}"
    seconds_until_readers_see(nginx, old, save_heading(editor, relief_section, old), RELIEF_PAGES)
    # Pages from before the next save in Redis (a worker that just saw Redis fail waits 5 s).
    deadline = time.monotonic() + 30
    while redis_server.client().dbsize() < len(RELIEF_PAGES):
        assert time.monotonic() < deadline
        for page in RELIEF_PAGES:
            nginx.client().get(page)
    redis_server.client().save()  # the snapshot Debian's Redis would reload
    redis_server.stop()
    new = f"Saved while Redis was away {time.monotonic_ns()}"
    since = save_heading(editor, relief_section, new)
    redis_server.start()
    assert redis_server.client().dbsize() > 0  # the old pages are back
    assert seconds_until_readers_see(nginx, new, since, RELIEF_PAGES) <= EDIT_BOUND


def test_redis_full(front, editor, relief_section, redis_server):
    nginx = front["nginx"]
    redis = redis_server.client()
    edit_and_measure(editor, nginx, relief_section, "before")
    redis.config_set("maxmemory-policy", "noeviction")
    redis.config_set("maxmemory", redis.info("memory")["used_memory"])
    try:
        assert "cache degraded" in nginx.client().get("/healthz").text
        assert edit_and_measure(editor, nginx, relief_section, "full") <= EDIT_BOUND
    finally:
        redis.config_set("maxmemory", 0)


# --- the app servers and the origin --------------------------------------------------------


def test_a_hung_app_server_costs_readers_nothing_and_leaves_rotation(front):
    nginx, (hung, live) = front["nginx"], front["apps"]
    for page in PAGES:
        nginx.client().get(page)
    os.killpg(hung.process.pid, signal.SIGSTOP)
    stopped = time.monotonic()
    try:
        with readers(nginx) as answers:
            # Readers keep loading pages for the 10 s the server has to leave the rotation.
            while time.monotonic() < stopped + 10:
                time.sleep(0.1)
            reader = nginx.client()
            marks = [f"rotation{n}x{time.monotonic_ns()}" for n in range(5)]
            for mark in marks:
                assert reader.get(f"/search/?q={mark}").status == 200
        assert answers and not reader_errors(answers)
        origin = [line for line in nginx.access_log() if "rotation" in line and '"127.' in line]
        for mark in marks:
            lines = [line for line in origin if mark in line]
            assert lines and all(f'"127.0.0.1:{live.port}"' in line for line in lines), lines
    finally:
        os.killpg(hung.process.pid, signal.SIGCONT)


def test_a_killed_app_server_costs_readers_nothing(front):
    nginx, apps = front["nginx"], front["apps"]
    killed = apps[0]
    with readers(nginx) as answers:
        os.killpg(killed.process.pid, signal.SIGKILL)
        killed.process.wait(timeout=10)
        reader = nginx.client()
        statuses = [reader.get(f"/search/?q=killed{n}").status for n in range(6)]
    assert statuses == [200] * 6
    assert answers and not reader_errors(answers)
    killed.stop()
    apps[0] = Gunicorn(front["env"], front["tmp"] / "gunicorn-a2.log", port=killed.port)


def test_requests_that_reach_the_app_are_rate_limited(front):
    nginx = front["nginx"]
    reader = nginx.client()
    assert reader.get("/relief/").status == 200  # in the front's cache from here on
    # Faster than 10 a second plus the burst of 40, whatever a search costs the app: 100
    # connections that all send at once, as a client loading the origin would. (Fewer, each
    # waiting for its answer, send only as fast as a slow app answers.)
    start = threading.Barrier(100)

    def search(n):
        client = nginx.client()
        start.wait()
        return client.get(f"/search/?q=cramp{n}").status

    with ThreadPoolExecutor(max_workers=100) as pool:
        searches = list(pool.map(search, range(100)))
    assert 429 in searches and set(searches) <= {200, 429}
    # Pages in the cache are still answered, however the query string varies (from the cache,
    # even when this client may not reach the app to revalidate them).
    assert {reader.get(f"/relief/?n={n}").status for n in range(20)} == {200}
    # The limit is per second: the same client gets through again.
    deadline = time.monotonic() + 30
    while reader.get("/search/?q=cramp").status != 200:
        assert time.monotonic() < deadline
        time.sleep(0.2)


# --- PostgreSQL stopped ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def front_on_postgres(tmp_path_factory):
    """A front whose PostgreSQL server the test can stop: a cluster of its own."""
    tmp = tmp_path_factory.mktemp("front-pg")
    postgres = Postgres()
    try:
        https_port = free_port()
        env = front_env(tmp, postgres.url, https_port)
        prepare_site(env)
        apps = [Gunicorn(env, tmp / f"gunicorn-{n}.log", workers=1) for n in (1, 2)]
        try:
            nginx = Nginx(tmp / "nginx", [app.port for app in apps], https_port=https_port)
            try:
                yield {"nginx": nginx, "postgres": postgres}
            finally:
                nginx.stop()
        finally:
            for app in apps:
                app.stop()
    finally:
        postgres.remove()


def test_postgres_stopped_readers_get_every_page_then_it_recovers(front_on_postgres):
    nginx, postgres = front_on_postgres["nginx"], front_on_postgres["postgres"]
    reader = nginx.client()
    served = {page: reader.get(page).body for page in PAGES}
    css = next(link for link in links(served["/"].decode()) if link.endswith(".css"))
    served[css] = reader.get(css).body
    postgres.stop()
    try:
        down = searched = time.monotonic()
        statuses = set()
        # Long enough for every kept page to go stale and be asked of the app again.
        while time.monotonic() < down + 3.5:
            for page, body in served.items():
                response = reader.get(page)
                assert (response.status, response.body == body) == (200, True), page
            if time.monotonic() > searched + 0.3:  # within the rate limit for the app
                statuses.add(reader.get("/search/?q=calcium").status)
                searched = time.monotonic()
        assert statuses == {503}  # the site's own page, never a 502
        assert reader.get("/healthz").status == 503
    finally:
        postgres.start()
    # Back without anyone doing anything: no server was taken out for answering 503.
    deadline = time.monotonic() + 30
    while (status := reader.get("/search/?q=calcium").status) != 200:
        assert status == 503 and time.monotonic() < deadline, status
        time.sleep(0.1)
    assert [reader.get(f"/search/?q=back{n}").status for n in range(6)] == [200] * 6
