"""Hardening, checked on the site as production serves it (gunicorn, production settings).

Requests come "through the proxy": from loopback, which gunicorn trusts, with
X-Forwarded-Proto: https, so Django sees HTTPS exactly as behind deploy/nginx.conf.
"""

import json
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from tests.helpers.servers import (
    ROOT,
    Client,
    Gunicorn,
    form_fields,
    links,
    prepare_site,
    production_env,
    throwaway_database,
)

CHROMIUM = Path("/usr/bin/chromium")
SAFE_REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}


def deploy_check(env):
    """`manage.py check --deploy` as docs/deploy.md runs it."""
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_deploy_check_passes_with_production_settings(tmp_path):
    env = production_env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    del env["DJANGO_SECURE_SSL_REDIRECT"]  # on, as on a real server
    result = deploy_check(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_warns_of_what_production_must_set(tmp_path):
    env = production_env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    del env["DJANGO_CONTACT_EMAIL"], env["DJANGO_EMAIL_HOST"]
    result = deploy_check(env)
    assert result.returncode == 1
    for warning in (
        "editors@nightcramps.example, an address nobody reads",
        "HINT: Set DJANGO_CONTACT_EMAIL",
        "No mail server: reviewers and authors are not emailed",
        "HINT: Set DJANGO_EMAIL_HOST",
    ):
        assert warning in result.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("secure-site")
    with throwaway_database(tmp) as database_url:
        env = production_env(tmp / "var", database_url)
        prepare_site(env)
        server = Gunicorn(env, tmp / "gunicorn.log")
        try:
            yield server
        finally:
            server.stop()


def https_client(server):
    """A client whose requests arrive as through the HTTPS proxy, with the Origin it sets."""
    origin = f"https://127.0.0.1:{server.port}"
    return Client(server.url, headers={"X-Forwarded-Proto": "https", "Origin": origin})


def public_pages(client):
    """Every page a reader can reach: the links from the home page onwards and the sitemap."""
    sitemap = client.get("/sitemap.xml")
    todo = ["/"] + [
        urllib.parse.urlsplit(loc).path for loc in re.findall(r"<loc>([^<]+)</loc>", sitemap.text)
    ]
    seen = {}
    while todo and len(seen) < 200:
        path = todo.pop()
        if path in seen or path.startswith(("/static/", "/admin/", "/media/")):
            continue
        response = client.get(path)
        seen[path] = response
        if response.headers.get_content_type() == "text/html":
            todo.extend(links(response.text) - seen.keys())
    return seen


def assert_hardened(response, where):
    headers = response.headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains", where
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in headers["Content-Security-Policy"].split(";")
        if directive.strip()
    }
    assert policy["default-src"] == ["'none'"], where
    assert policy["script-src"] == ["'self'"], where
    assert policy["frame-ancestors"] == ["'none'"], where
    assert policy["form-action"] == ["'self'"], where
    for sources in policy.values():
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(sources), where
    assert headers["X-Content-Type-Options"] == "nosniff", where
    assert headers["X-Frame-Options"] == "DENY", where
    assert headers["Referrer-Policy"] in SAFE_REFERRER_POLICIES, where
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin", where
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin", where


def test_every_public_page_carries_the_security_headers(site):
    pages = public_pages(https_client(site))
    assert len(pages) >= 15, sorted(pages)  # home, topics, articles, sections, sources, ...
    for path, response in pages.items():
        assert response.status == 200, path
        assert_hardened(response, path)


def test_other_responses_carry_them_too(site):
    client = https_client(site)
    login = client.get("/admin/login/")
    assert login.status == 200
    assert_hardened(login, "admin login")
    not_found = client.get("/articles/no-such-article/")
    assert not_found.status == 404
    assert_hardened(not_found, "404")
    static = client.get("/static/css/site.css")
    assert static.status == 200
    assert_hardened(static, "static file")
    assert_hardened(client.get("/healthz"), "health check")
    etag = client.get("/").headers["ETag"]
    not_modified = client.get("/", headers={"If-None-Match": etag})
    assert not_modified.status == 304
    assert_hardened(not_modified, "304")


@pytest.mark.server  # starts its own gunicorn
def test_plain_http_is_redirected_to_https(tmp_path):
    env = production_env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")
    del env["DJANGO_SECURE_SSL_REDIRECT"]
    server = Gunicorn(env, tmp_path / "gunicorn.log", workers=1, wait_for_health=False)
    try:
        response = Client(server.url).get("/relief/")
        assert response.status == 301
        assert response.headers["Location"] == f"https://127.0.0.1:{server.port}/relief/"
        # The health check answers over plain HTTP, for load balancers (no database here: 503).
        assert Client(server.url).get("/healthz").status in {200, 503}
    finally:
        server.stop()


def cookie_attributes(response):
    """{name: set of lower-cased attributes} from a response's Set-Cookie headers."""
    cookies = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name] = {part.strip().lower() for part in rest.split(";")[1:]}
    return cookies


def test_cookies_are_secure_httponly_and_samesite(site):
    client = https_client(site)
    login_page = client.get("/admin/login/")
    form = form_fields(login_page.text, "login-form")
    form.update(username="editor", password="a long editor password", next="/admin/")
    logged_in = client.post(
        "/admin/login/",
        form,
        headers={"Referer": f"https://127.0.0.1:{site.port}/admin/login/"},
    )
    assert logged_in.status == 302, logged_in.text[:2000]
    cookies = {**cookie_attributes(login_page), **cookie_attributes(logged_in)}
    assert {"csrftoken", "sessionid"} <= cookies.keys()
    for name, attributes in cookies.items():
        assert "secure" in attributes, name
        assert "httponly" in attributes, name
        assert "samesite=lax" in attributes, name


@pytest.fixture(scope="module")
def editor(site):
    client = https_client(site)
    client.headers["Referer"] = f"https://127.0.0.1:{site.port}/admin/"
    client.log_in()
    return client


def section_change_path(editor):
    changelist = editor.get("/admin/articles/section/")
    return sorted(
        link.split("?")[0]
        for link in links(changelist.text)
        if re.fullmatch(r"/admin/articles/section/\d+/change/(\?.*)?", link)
    )[0]


@pytest.mark.parametrize("page", ["/admin/", "/admin/articles/section/", "change form"])
def test_the_admin_needs_nothing_the_policy_forbids(editor, page):
    path = section_change_path(editor) if page == "change form" else page
    response = editor.get(path)
    assert response.status == 200
    assert_hardened(response, path)
    html = response.text
    # No inline script, style or event handler: 'self' alone would block them.
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or re.search(r'type="application/(ld\+)?json"', tag), tag
    assert not re.search(r"<style\b", html)
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert "javascript:" not in html
    # Every script and stylesheet comes from this site and loads.
    assets = re.findall(r'<script\b[^>]*\bsrc="([^"]+)"', html) + re.findall(
        r'<link\b[^>]*rel="stylesheet"[^>]*href="([^"]+)"', html
    )
    assert assets
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        assert editor.get(asset).status == 200, asset


def test_the_markdownx_editor_works_under_the_policy(editor):
    html = editor.get(section_change_path(editor)).text
    assert 'class="markdownx"' in html
    assert re.search(r'<script\b[^>]*src="/static/markdownx/js/markdownx[^"]*\.js"', html)
    # The live preview: the editor's script posts the text to this site (connect-src 'self').
    token = form_fields(html, "section_form")["csrfmiddlewaretoken"]
    preview = editor.post(
        "/markdownx/markdownify/", {"content": "### Hello {#hello}", "csrfmiddlewaretoken": token}
    )
    assert preview.status == 200
    assert 'id="hello"' in preview.text


@pytest.mark.browser  # outside tests/browser/: it drives Chromium in its own process
def test_the_admin_and_editor_run_in_a_browser_without_policy_violations(site, tmp_path):
    """In Chromium: the change form loads, the live preview updates, nothing is blocked."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium as root.", pytrace=False)
    probe = subprocess.run(
        [sys.executable, "-m", "tests.csp_probe", site.url, "editor", "a long editor password"],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == []


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "TRACE", "OPTIONS"])
def test_public_pages_answer_only_get_and_head(site, method):
    client = https_client(site)
    pages = ["/", "/relief/", "/articles/calf-muscle-spasm/", "/articles/calf-muscle-spasm/relief/"]
    pages += ["/articles/calf-muscle-spasm/source/", "/about/", "/search/?q=calf", "/feed/"]
    pages += ["/sitemap.xml", "/robots.txt"]
    for path in pages:
        response = client.request(method, path, body="x=1" if method != "TRACE" else None)
        assert response.status == 405, (path, response.status)
        assert response.headers["Allow"] == "GET, HEAD", path
        assert b"<html" not in response.body.lower(), path
    assert client.request("HEAD", "/relief/").status == 200


def test_view_on_site_goes_to_the_sites_own_domain(site, editor):
    """/admin/r/<content type>/<id>/ (the admin's "View on site" shortcut) uses the sites
    framework's domain: the first allowed host here, never example.com."""
    found = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SECTION_CONTENT_TYPE],
        cwd=ROOT,
        env=site.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()[-2:]
    response = editor.get(f"/admin/r/{found[0]}/{found[1]}/")
    assert response.status == 302
    assert response.headers["Location"] == "https://127.0.0.1/articles/calf-muscle-spasm/relief/"


SECTION_CONTENT_TYPE = """
from django.contrib.contenttypes.models import ContentType
from articles.models import Section
section = Section.objects.get(article__slug="calf-muscle-spasm", slug="relief")
print(ContentType.objects.get_for_model(Section).pk, section.pk)
"""


def test_a_path_that_looks_like_another_host_stays_on_this_one(site):
    response = https_client(site).get("//evil.example/causes/")
    assert response.status == 404
    assert "Printed from https://127.0.0.1:" in response.text
    assert "//evil.example/causes/</p>" in response.text
    assert "https://evil.example" not in response.text
    assert "http://evil.example" not in response.text


def test_the_health_check_answers_a_probe_by_address(site):
    """A load balancer asks by private address, which is not an allowed host."""
    client = Client(site.url)
    response = client.get("/healthz", headers={"Host": "10.0.0.11:8000"})
    assert response.status == 200
    assert response.body == b"ok\n"
    # Every other page still refuses a host it does not serve.
    assert client.get("/relief/", headers={"Host": "10.0.0.11:8000"}).status == 400
