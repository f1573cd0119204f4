"""The site served as in production, for tests: gunicorn, production settings, real HTTP.

A throwaway site is a database (a new one on the suite's PostgreSQL server when DATABASE_URL
points at one, else an SQLite file) with the shipped content and an editor account, plus
collected static files. `Gunicorn` serves it from the repo's gunicorn.conf.py on a free
loopback port; `Client` talks HTTP to it, keeping cookies as a browser does.
"""

import atexit
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from contextlib import contextmanager
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path

import dj_database_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EDITOR = ("editor", "a long editor password")
START_TIMEOUT = 30


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(var_dir, database_url, *, static_root=None, **extra):
    """The environment of a production server, but for plain HTTP on loopback. Static files
    are collected once per run unless `static_root` holds them already."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "GUNICORN_")) and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        DJANGO_PRODUCTION="1",
        DJANGO_SECRET_KEY="tests-" + secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_CONTACT_EMAIL="editors@nightcramps.test",
        # A mail server that refuses at once: notices fail, logged, as when one is down.
        DJANGO_EMAIL_HOST="127.0.0.1",
        DJANGO_EMAIL_PORT="1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_VAR_DIR=str(var_dir),
        DJANGO_STATIC_ROOT=str(static_root or collected_static()),
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="cramps_site.settings",
    )
    env.update(extra)
    return env


_static = {}


def collected_static():
    """collectstatic once per test run (it does not depend on the database)."""
    if "root" not in _static:
        root = Path(tempfile.mkdtemp(prefix="cramps-static."))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env={**os.environ, "DJANGO_STATIC_ROOT": str(root)},
            check=True,
            timeout=120,
        )
        _static["root"] = root
    return _static["root"]


@contextmanager
def throwaway_database(tmp_path):
    """A database URL of its own: on the suite's PostgreSQL server if it runs on one."""
    suite_url = os.environ.get("DATABASE_URL", "")
    if not suite_url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'site.sqlite3'}"
        return
    import psycopg

    config = dj_database_url.parse(suite_url)
    name = f"cramps_serving_{secrets.token_hex(4)}"
    admin = {
        "host": config["HOST"],
        "port": config["PORT"],
        "user": config["USER"],
        "password": config["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlunsplit(urllib.parse.urlsplit(suite_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(**admin) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


PREPARE = f"""
from django.contrib.auth import get_user_model
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("load_content", verbosity=0)
get_user_model().objects.create_superuser({EDITOR[0]!r}, "editor@example.com", {EDITOR[1]!r})
"""


def prepare_site(env):
    """Tables, the shipped content and an editor account, as `make run` and an admin would."""
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PREPARE],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )


class Gunicorn:
    """gunicorn with the repo's config (cramps_site/gunicorn.conf.py) on a free port."""

    def __init__(self, env, log_path, *, workers=2, wait_for_health=True, port=None):
        """`workers=None` leaves the number to the config (make bench); `port` to start
        again where a stopped one listened."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in stop)
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        if workers is not None:
            env["GUNICORN_WORKERS"] = str(workers)
        self.env = env
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "cramps_site/gunicorn.conf.py", "cramps_site.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait(wait_for_health)
        except BaseException:
            self.stop()
            raise

    def _wait(self, for_health):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log()}")
            try:
                if not for_health:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return
                if Client(self.url).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start within {START_TIMEOUT} s:\n{self.log()}")

    def log(self):
        self._log.flush()
        return Path(self.log_path).read_text(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode()

    def __repr__(self):
        return f"<Response {self.status}>"


_tls = {}


def _unverified_tls():
    """One TLS context for every request (making one loads the system's certificates)."""
    if "context" not in _tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        _tls["context"] = context
    return _tls["context"]


class Client:
    """HTTP to one server, with a cookie jar. Secure cookies are sent over plain HTTP too:
    these servers stand for the app behind an HTTPS proxy. An https:// URL is for the nginx in
    front (tests/helpers/front.py; its certificate is not checked); `source` is the local
    address to connect from."""

    def __init__(self, url, headers=None, source=None):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.https = parts.scheme == "https"
        self.source = (source, 0) if source else None
        self.headers = headers or {}
        self.cookies = {}

    def _connect(self):
        if not self.https:
            return http.client.HTTPConnection(
                self.host, self.port, timeout=15, source_address=self.source
            )
        return http.client.HTTPSConnection(
            self.host, self.port, timeout=30, source_address=self.source, context=_unverified_tls()
        )

    def request(self, method, path, headers=None, body=None):
        headers = {**self.headers, **(headers or {})}
        if self.https and method == "POST":
            # As a browser does: Django's CSRF check wants it over HTTPS.
            headers.setdefault("Referer", f"https://{self.host}:{self.port}{path}")
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = self._connect()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            result = Response(response.status, response.headers, response.read())
        finally:
            connection.close()
        for header in result.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return result

    def get(self, path, headers=None):
        return self.request("GET", path, headers)

    def post(self, path, fields, headers=None):
        body = urllib.parse.urlencode(fields, doseq=True)
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.request("POST", path, headers, body)

    def log_in(self):
        """Log in to the admin as the editor, as a browser would (CSRF token included)."""
        form = form_fields(self.get("/admin/login/").text, "login-form")
        form.update(username=EDITOR[0], password=EDITOR[1], next="/admin/")
        response = self.post("/admin/login/?next=/admin/", form)
        assert response.status == 302, (response.status, response.text[:2000])
        return response

    def submit_change_form(self, path, form_id, **changes):
        """Open an admin change form, change some fields, save and publish it (the editor is
        a superuser, who may publish without review); the response is returned."""
        form = form_fields(self.get(path).text, form_id)
        form.update(changes)
        form["_publish"] = "Save and publish without review"
        return self.post(path, form)


class _FormParser(HTMLParser):
    """The fields a browser would submit with one form, as (name, value) pairs."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields = []
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "name" not in attrs and tag != "option":
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.fields.append(
                [attrs["name"], attrs.get("value", "on" if kind == "checkbox" else "")]
            )
        elif tag == "textarea":
            self._textarea = [attrs["name"], ""]
            self.fields.append(self._textarea)
        elif tag == "select":
            self._select = {"name": attrs["name"], "first": None, "chosen": False}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self.fields.append([self._select["name"], value])
                self._select["chosen"] = True

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            if self._textarea is not None:
                # The HTML parser keeps the newline browsers drop after <textarea>.
                self._textarea[1] = self._textarea[1].removeprefix("\n")
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if not self._select["chosen"] and self._select["first"] is not None:
                self.fields.append([self._select["name"], self._select["first"]])
            self._select = None
        elif tag == "form":
            self.inside = False


def form_fields(html, form_id):
    """{name: value} of a form; a name the form has more than once maps to a list."""
    parser = _FormParser(form_id)
    parser.feed(html)
    if not parser.fields:
        raise AssertionError(f"No form #{form_id} on the page:\n{html[:3000]}")
    data = {}
    for name, value in parser.fields:
        if name not in data:
            data[name] = value
        elif isinstance(data[name], list):
            data[name].append(value)
        else:
            data[name] = [data[name], value]
    return data


def links(html):
    """Same-site addresses linked from a page (href="/..."), without fragments."""
    return {
        href.split("#")[0]
        for href in re.findall(r'href="(/[^"]*)"', html)
        if not href.startswith("//")
    }
