"""Serving: the page cache, conditional requests, static files, the health check, outages.

The first tests use the test client; the rest run gunicorn as production does
(tests/helpers/servers.py), with the default file cache and then with Redis shared by two instances.
"""

import gzip
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import time
import urllib.parse
from pathlib import Path
from unittest import mock

import pytest
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import OperationalError
from pytest_django.asserts import assertContains, assertNotContains

from articles.models import Article, Section
from tests.helpers.front import Nginx
from tests.helpers.servers import (
    BIN,
    EDITOR,
    ROOT,
    Client,
    Gunicorn,
    form_fields,
    free_port,
    links,
    prepare_site,
    production_env,
    throwaway_database,
)

SPASM = "/articles/calf-muscle-spasm/"
PUBLIC_PAGES = ["/", "/relief/", SPASM, f"{SPASM}relief/", f"{SPASM}source/"]


@pytest.mark.django_db
class TestPageCache:
    @pytest.mark.parametrize("url", PUBLIC_PAGES)
    def test_a_second_request_is_served_from_the_cache(
        self, client, content, django_assert_num_queries, url
    ):
        first = client.get(url)
        with django_assert_num_queries(1):  # the content version (articles/content_version.py)
            second = client.get(url)
        assert second.status_code == 200
        assert second.content == first.content
        assert second["ETag"] == first["ETag"]
        # Shared caches (the front, a CDN) keep it a second; browsers revalidate each time.
        assert second["Cache-Control"] == (
            "public, max-age=0, s-maxage=1, stale-while-revalidate=1, stale-if-error=86400"
        )

    def test_a_save_shows_at_once(self, client, content):
        assertContains(client.get(SPASM), "How to treat and recover calf muscle spasm?")
        article = Article.objects.get(slug="calf-muscle-spasm")
        article.title = "Calf spasm at night"
        article.save()
        html = client.get(SPASM).content.decode()
        assert "<h1>Calf spasm at night</h1>" in html
        assert "<h1>How to treat and recover calf muscle spasm?</h1>" not in html
        # Every page shows titles of other pages: the whole cache goes, not just this page.
        assertContains(client.get("/"), "Calf spasm at night")

    def test_a_saved_section_shows_on_every_page_at_once(self, client, content):
        urls = ["/relief/", SPASM, f"{SPASM}relief/"]
        for url in urls:
            client.get(url)
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        section.heading = "Three ways to ease a cramp"
        section.save()
        for url in urls:
            assertContains(client.get(url), "Three ways to ease a cramp")

    def test_a_deleted_section_goes_at_once(self, client, content):
        assertContains(client.get("/relief/"), "Three measures to relieve leg cramps")
        Section.objects.get(article__slug="calf-muscle-spasm", slug="relief").delete()
        assertNotContains(client.get("/relief/"), "Three measures to relieve leg cramps")

    def test_a_new_redirect_changes_the_version(self, client, content):
        from django.contrib.redirects.models import Redirect

        etag = client.get("/")["ETag"]
        Redirect.objects.create(site_id=1, old_path="/old/", new_path="/relief/")
        assert client.get("/")["ETag"] != etag

    def test_the_version_changes_with_the_save_and_only_if_it_commits(self, client, content):
        # The version is written in the save's transaction: other connections see it exactly
        # when they see the new rows, and a rolled-back save leaves it as it was.
        before = client.get("/")["ETag"]
        with pytest.raises(RuntimeError), transaction.atomic():
            Article.objects.get(slug="calf-muscle-spasm").save()
            assert client.get("/")["ETag"] != before  # this connection sees its own save
            raise RuntimeError("rolled back")
        assert client.get("/")["ETag"] == before

    def test_answers_304_while_nothing_changes_with_one_query(
        self, client, content, django_assert_num_queries
    ):
        etag = client.get(SPASM)["ETag"]
        with django_assert_num_queries(1):  # the content version
            response = client.get(SPASM, headers={"if-none-match": etag})
        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == etag
        Article.objects.get(slug="calf-muscle-spasm").save()
        assert client.get(SPASM, headers={"if-none-match": etag}).status_code == 200

    def test_editors_always_get_a_fresh_page(self, client, editor_client, content):
        editor_client.get(SPASM)
        response = editor_client.get(SPASM)
        assert "ETag" not in response
        assert response["Cache-Control"] == "private, no-store"
        # Nor does an editor's page go into the readers' cache.
        Article.objects.filter(slug="calf-muscle-spasm").update(title="Changed behind the cache")
        assertContains(editor_client.get(SPASM), "Changed behind the cache")

    def test_not_found_and_other_pages_are_not_cached(self, client, content):
        Article.objects.create(
            title="Coming soon", slug="soon", publisher="P", source_title="S", source_text="T"
        )
        assert client.get("/articles/soon/").status_code == 404  # a draft
        # Published behind the cache's back (no signal): only an uncached 404 lets it show.
        Article.objects.filter(slug="soon").update(status="published")
        assert client.get("/articles/soon/").status_code == 200
        assert "ETag" not in client.get("/admin/login/")

    def test_query_strings_share_one_cached_page(self, client, content, django_assert_num_queries):
        # Public pages ignore query strings, so ?1, ?2, ... cannot fill the cache.
        client.get("/relief/?from=a")
        with django_assert_num_queries(1):  # the content version
            response = client.get("/relief/?from=b")
        assertNotContains(response, "from=")

    def test_pages_from_before_a_deploy_are_not_served(
        self, client, content, monkeypatch, django_assert_num_queries
    ):
        from articles import cache as page_cache

        client.get("/relief/")
        monkeypatch.setattr(page_cache, "BUILD_ID", "new-code")
        with django_assert_num_queries(3):  # the version, and rendered again by the new code
            assert client.get("/relief/").status_code == 200

    def test_readers_and_editors_carry_on_when_the_cache_is_down(self, client, content, settings):
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers
                "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
            }
        }
        assertContains(client.get("/relief/"), "Three measures to relieve")
        section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
        section.body += "\n\nSaved while the cache was away."
        section.save()
        assertContains(client.get("/relief/"), "Saved while the cache was away.")
        assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
class TestHealthAndOutages:
    def test_healthz_answers_200_when_the_database_answers(self, client):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.content == b"ok\n"
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert "no-cache" in response["Cache-Control"]
        assert client.head("/healthz").status_code == 200

    @pytest.mark.parametrize("method", ["post", "put", "delete", "patch", "trace", "options"])
    def test_healthz_answers_only_get_and_head(self, client, method):
        response = getattr(client, method)("/healthz")
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD"
        assert response.content != b"ok\n"

    def test_healthz_answers_503_when_it_does_not(self, client):
        with database_down():
            response = client.get("/healthz")
        assert response.status_code == 503

    def test_readers_get_the_sites_503_page_not_a_traceback(self, client):
        client.raise_request_exception = False
        with database_down():
            response = client.get(SPASM)
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assertContains(response, "Back in a moment", status_code=503)
        assertContains(response, "Skip to main content", status_code=503)
        assertNotContains(response, "Traceback", status_code=503)
        assertNotContains(response, "OperationalError", status_code=503)

    def test_cached_pages_are_still_served_when_the_database_is_down(self, client, content):
        client.get(SPASM)
        with database_down():
            assertContains(client.get(SPASM), "How to treat and recover calf muscle spasm?")


def database_down():
    """Every new query fails as it does when the database server has gone away."""
    error = OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
    return mock.patch.object(BaseDatabaseWrapper, "_cursor", side_effect=error)


# --- gunicorn, as in production ------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A throwaway site: its own database with the shipped content, and an editor."""
    tmp = tmp_path_factory.mktemp("site")
    with throwaway_database(tmp) as database_url:
        env = production_env(tmp / "var", database_url)
        prepare_site(env)
        yield {"tmp": tmp, "env": env}


@pytest.fixture(scope="module")
def server(site):
    """gunicorn with three workers and the default cache (files every worker reads)."""
    process = Gunicorn(site["env"], site["tmp"] / "gunicorn.log", workers=3)
    yield process
    process.stop()


def test_gunicorn_config_follows_the_machine():
    def config(**env):
        out = subprocess.run(
            [
                str(BIN / "gunicorn"),
                "-c",
                "cramps_site/gunicorn.conf.py",
                "--print-config",
                "cramps_site.wsgi",
            ],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", **env},
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
        return {
            name.strip(): value.strip()
            for name, value in (line.split("=", 1) for line in out.splitlines() if "=" in line)
        }

    default = config()
    assert int(default["workers"]) == 2 * len(os.sched_getaffinity(0)) + 1
    assert int(default["max_requests"]) > 0 and int(default["max_requests_jitter"]) > 0
    assert int(default["timeout"]) == 30
    assert default["accesslog"] == "-"
    assert default["forwarded_allow_ips"] == "['127.0.0.1', '::1']"
    assert default["secure_scheme_headers"] == "{'X-FORWARDED-PROTO': 'https'}"
    changed = config(GUNICORN_WORKERS="7", GUNICORN_FORWARDED_ALLOW_IPS="10.0.0.2")
    assert changed["workers"] == "7"
    assert changed["forwarded_allow_ips"] == "['10.0.0.2']"


def test_static_files_are_compressed_and_cached_for_good(server, site):
    manifest = json.loads(
        (Path(site["env"]["DJANGO_STATIC_ROOT"]) / "staticfiles.json").read_text()
    )
    hashed = "/static/" + manifest["paths"]["css/site.css"]
    client = Client(server.url)
    plain = client.get(hashed)
    assert plain.status == 200
    assert plain.headers["Content-Type"].startswith("text/css")
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Vary"] == "Accept-Encoding"
    cache_control = plain.headers["Cache-Control"].split(", ")
    assert "immutable" in cache_control and "public" in cache_control
    max_age = next(int(d.split("=")[1]) for d in cache_control if d.startswith("max-age="))
    assert max_age >= 365 * 24 * 60 * 60
    for encoding in ("br", "gzip"):
        compressed = client.get(hashed, headers={"Accept-Encoding": encoding})
        assert compressed.headers["Content-Encoding"] == encoding
        assert len(compressed.body) < len(plain.body) / 2
    # The unhashed name may change content at any deploy: browsers must not keep it for long.
    unhashed = client.get("/static/css/site.css")
    assert "immutable" not in unhashed.headers["Cache-Control"]


def test_pages_answer_conditional_requests_with_304(server):
    client = Client(server.url)
    first = client.get(SPASM)
    assert first.status == 200
    cached = client.get(SPASM)
    assert cached.body == first.body
    assert cached.headers["Content-Length"] == str(len(first.body))
    etag = first.headers["ETag"]
    again = client.get(SPASM, headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.body == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Content-Security-Policy"]


def test_an_edit_shows_at_once_whichever_worker_answers(server):
    reader = Client(server.url)
    before = [reader.get(f"{SPASM}relief/") for _ in range(12)]
    assert all("Three measures to relieve leg cramps" in r.text for r in before)
    etag = before[0].headers["ETag"]

    editor = Client(server.url)
    editor.log_in()
    saved = edit_section_heading(
        editor, "Three measures to relieve leg cramps and night pain", "Three quick ways"
    )
    assert saved.status == 302, saved.text[:3000]

    after = [reader.get(f"{SPASM}relief/") for _ in range(12)]
    assert all("Three quick ways" in r.text for r in after)
    assert all(r.headers["ETag"] != etag for r in after)
    assert reader.get(f"{SPASM}relief/", headers={"If-None-Match": etag}).status == 200


def edit_section_heading(editor, old, new):
    """Change the heading readers see of the section that has the source heading `old`,
    through the admin, as an editor would."""
    found = editor.get("/admin/articles/section/?" + urllib.parse.urlencode({"q": old}))
    paths = {
        link.split("?")[0]
        for link in links(found.text)
        if re.fullmatch(r"/admin/articles/section/\d+/change/(\?.*)?", link)
    }
    assert len(paths) == 1, paths
    return editor.submit_change_form(paths.pop(), "section_form", plain_heading=new)


def test_healthz_and_access_log(server):
    # The user agent tells this request's line from those of the health checks at start-up.
    response = Client(server.url).get("/healthz", headers={"User-Agent": "access-log-check"})
    assert response.status == 200
    assert response.body == b"ok\n"

    def logged():
        return any(
            '"GET /healthz HTTP/1.1" 200' in line and '"access-log-check"' in line
            for line in server.log().splitlines()
        )

    # gunicorn writes the line once the response has gone out: wait for it, up to a deadline.
    deadline = time.monotonic() + 10
    while not logged() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logged(), server.log()[-3000:]


def test_forwarded_headers_count_only_from_the_proxy(site, tmp_path):
    https = {"X-Forwarded-Proto": "https"}
    trusted = Gunicorn(site["env"], tmp_path / "trusted.log", workers=1)
    try:
        response = Client(trusted.url).get(SPASM, headers=https)
        assert f'href="https://127.0.0.1:{trusted.port}{SPASM}"' in response.text
        assert response.headers["Strict-Transport-Security"]
    finally:
        trusted.stop()
    env = {**site["env"], "GUNICORN_FORWARDED_ALLOW_IPS": "192.0.2.1"}
    untrusted = Gunicorn(env, tmp_path / "untrusted.log", workers=1)
    try:
        response = Client(untrusted.url).get(SPASM, headers=https)
        assert f'href="http://127.0.0.1:{untrusted.port}{SPASM}"' in response.text
        assert "Strict-Transport-Security" not in response.headers
    finally:
        untrusted.stop()


def test_with_the_database_gone_readers_get_the_503_page(site, tmp_path):
    port = free_port()  # nothing listens there
    gone = (
        f"postgres://cramps@127.0.0.1:{port}/cramps"
        if site["env"]["DATABASE_URL"].startswith("postgres")
        else f"sqlite:///{tmp_path}/no-such-folder/db.sqlite3"
    )
    env = {**site["env"], "DATABASE_URL": gone, "DJANGO_VAR_DIR": str(tmp_path / "var")}
    process = Gunicorn(env, tmp_path / "gone.log", workers=1, wait_for_health=False)
    try:
        client = Client(process.url)
        assert client.get("/healthz").status == 503
        for url in ("/", SPASM, "/articles/nope/"):
            response = client.get(url)
            assert response.status == 503, url
            assert "Back in a moment" in response.text
            assert "Traceback" not in response.text
            assert response.headers["Content-Security-Policy"]
        assert client.get("/static/css/site.css").status == 200
    finally:
        process.stop()


# --- more than one machine: two instances, one database, one Redis -------------------------


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A throwaway redis-server on a free port (installed by scripts/ensure-redis-server)."""
    found = subprocess.run(
        [str(ROOT / "scripts/ensure-redis-server")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if found.returncode != 0:
        pytest.fail(found.stderr.strip(), pytrace=False)
    binary = found.stdout.strip().splitlines()[-1]
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_two_instances_share_one_database_and_one_cache(site, redis_url, tmp_path):
    env = {**site["env"], "REDIS_URL": redis_url}
    one = Gunicorn({**env, "DJANGO_VAR_DIR": str(tmp_path / "one")}, tmp_path / "one.log")
    try:
        two = Gunicorn({**env, "DJANGO_VAR_DIR": str(tmp_path / "two")}, tmp_path / "two.log")
        try:
            reader = Client(two.url)
            first = reader.get(f"{SPASM}prevention/")
            assert "How to keep leg cramps away at night" in first.text
            # One content version for both: the same ETag from either instance.
            assert (
                Client(one.url).get(f"{SPASM}prevention/").headers["ETag"]
                == (first.headers["ETag"])
            )

            editor = Client(one.url)
            editor.log_in()
            saved = edit_section_heading(
                editor, "Keeping night cramps from coming back", "Keep cramps away"
            )
            assert saved.status == 302, saved.text[:3000]

            after = reader.get(f"{SPASM}prevention/")
            assert "Keep cramps away" in after.text
            assert after.headers["ETag"] != first.headers["ETag"]
        finally:
            two.stop()
    finally:
        one.stop()


# --- behind deploy/nginx.conf ----------------------------------------------------------------


@pytest.fixture(scope="module")
def nginx_in_front(site, tmp_path_factory):
    """deploy/nginx.conf on free loopback ports, before gunicorn with the real HTTPS redirect
    (tests/helpers/front.py changes only the file's documented settings)."""
    tmp = tmp_path_factory.mktemp("nginx")
    env = {key: value for key, value in site["env"].items() if key != "DJANGO_SECURE_SSL_REDIRECT"}
    app = Gunicorn(env, tmp / "gunicorn.log")
    try:
        nginx = Nginx(tmp / "nginx", [app.port])
        try:
            yield {"http": nginx.http_port, "https": nginx.https_port}
        finally:
            nginx.stop()
    finally:
        app.stop()


def over_https(port, path, headers=None):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=15, context=context)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_nginx_sends_plain_http_to_https(nginx_in_front):
    response = Client(f"http://127.0.0.1:{nginx_in_front['http']}").get("/relief/")
    assert response.status == 301
    assert response.headers["Location"] == "https://127.0.0.1/relief/"


def test_behind_nginx_the_app_sees_https_and_pages_are_compressed(nginx_in_front):
    port = nginx_in_front["https"]
    # What a client says about the scheme is replaced by what nginx knows.
    status, headers, body = over_https(
        port, "/relief/", {"Accept-Encoding": "gzip", "X-Forwarded-Proto": "http"}
    )
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(body).decode()
    assert '<link rel="canonical" href="https://127.0.0.1/relief/">' in html
    # nginx marks the ETag weak once it compresses; revalidating still gives 304.
    status, again, _ = over_https(
        port, "/relief/", {"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]}
    )
    assert status == 304
    assert again["Content-Security-Policy"]
    assert over_https(port, "/healthz")[0] == 200


def test_behind_nginx_failed_logins_pause_their_own_address_not_everyones(nginx_in_front):
    """django-axes counts the client nginx saw, not nginx: five failures from one address
    do not lock the editor out at another (and a client's own X-Forwarded-For counts for
    nothing)."""
    url = f"https://127.0.0.1:{nginx_in_front['https']}"
    # Origin as a browser sends it; nginx passes Host without the port.
    origin = {"Origin": "https://127.0.0.1"}
    attacker = Client(url, headers=origin, source="127.0.0.2")
    form = form_fields(attacker.get("/admin/login/").text, "login-form")
    answers = []
    for attempt in range(5):
        form.update(username=f"nobody{attempt}", password="wrong password")
        answers.append(
            attacker.post(
                "/admin/login/", form, headers={"X-Forwarded-For": f"198.51.100.{attempt}"}
            ).status
        )
    assert answers[:4] == [200] * 4, answers
    assert answers[4] == 429, answers  # that address is paused

    editor = Client(url, headers=origin, source="127.0.0.3")
    form = form_fields(editor.get("/admin/login/").text, "login-form")
    form.update(username=EDITOR[0], password=EDITOR[1], next="/admin/")
    response = editor.post("/admin/login/?next=/admin/", form)
    assert response.status == 302, (response.status, response.text[:500])
    assert response.headers["Location"] == "/admin/"
