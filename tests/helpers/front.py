"""The front as production runs it, for tests, `make run-front` and `make bench`: nginx with
deploy/nginx.conf, plus throwaway Redis and PostgreSQL servers that tests can stop and start.

`Nginx` runs the repo's file with only its documented settings changed (addresses, ports,
certificate, cache folder, origin socket), on loopback.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

from .servers import ROOT, Client, free_port, links

START_TIMEOUT = 30


def _wait(ready, what, process=None, log=None, timeout=START_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited:\n{log() if log else ''}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {timeout} s:\n{log() if log else ''}")
        time.sleep(0.05)


def _listening(port):
    socket.create_connection(("127.0.0.1", port), timeout=1).close()
    return True


def ensure(script):
    """The path a scripts/ensure-* script prints (it installs the Debian package as root)."""
    found = subprocess.run(
        [str(ROOT / "scripts" / script)], capture_output=True, text=True, timeout=600
    )
    if found.returncode != 0:
        raise RuntimeError(found.stderr.strip())
    return found.stdout.strip().splitlines()[-1]


def self_signed_certificate(folder):
    """A certificate for 127.0.0.1 and localhost, made on the fly: (cert path, key path)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    if not cert.exists():
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30"]
            + ["-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"]
            + ["-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
            timeout=60,
        )
    return cert, key


def site_conf(folder, app_ports, http_port, https_port, cert, key, *, redirect_port=False):
    """deploy/nginx.conf with its documented settings changed for loopback and `folder`;
    `redirect_port` sends plain HTTP to HTTPS on `https_port` rather than 443."""
    conf = (ROOT / "deploy/nginx.conf").read_text()
    if redirect_port:
        old = "return 301 https://$host$request_uri;"
        assert old in conf, old
        conf = conf.replace(old, f"return 301 https://$host:{https_port}$request_uri;")
    servers = "".join(
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;\n" for port in app_ports
    )
    for old, new in [
        ("    server 127.0.0.1:8000 max_fails=1 fail_timeout=10s;\n", servers),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("/etc/letsencrypt/live/nightcramps.example/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/nightcramps.example/privkey.pem", str(key)),
        ("/var/cache/nginx-nightcramps", str(folder / "cache")),
        ("/run/nightcramps-origin.sock", str(folder / "origin.sock")),
    ]:
        assert old in conf, old
        conf = conf.replace(old, new)
    return re.sub(r"\n\s*listen \[::\]:[^\n]*", "", conf)


class Nginx:
    """deploy/nginx.conf in front of gunicorn servers on loopback (ports `app_ports`).

    Its access log has one line per request, front and origin part alike:
    `uri status cache-status upstream-addresses`.
    """

    def __init__(self, folder, app_ports, *, http_port=None, https_port=None, workers=1,
                 extra_http="", redirect_port=False):  # fmt: skip
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.http_port = http_port or free_port()
        self.https_port = https_port or free_port()
        self.url = f"https://127.0.0.1:{self.https_port}"
        binary = ensure("ensure-nginx")
        cert, key = self_signed_certificate(self.folder / "tls")
        (self.folder / "site.conf").write_text(
            site_conf(
                self.folder,
                app_ports,
                self.http_port,
                self.https_port,
                cert,
                key,
                redirect_port=redirect_port,
            )
        )
        tmp = self.folder
        (tmp / "nginx.conf").write_text(
            f"""
            {"user root;" if os.geteuid() == 0 else ""}
            worker_processes {workers};
            pid {tmp}/nginx.pid;
            error_log {tmp}/error.log;
            events {{ worker_connections 4096; }}
            http {{
                log_format front '$request_uri $status $upstream_cache_status "$upstream_addr"';
                access_log {tmp}/access.log front;
                client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
                fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi;
                scgi_temp_path {tmp}/scgi;
                include {tmp}/site.conf;
                {extra_http}
            }}
            """
        )
        socket_path = self.folder / "origin.sock"
        socket_path.unlink(missing_ok=True)
        self._stderr = open(tmp / "stderr.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [binary, "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            start_new_session=True,
        )
        try:
            _wait(
                lambda: _listening(self.https_port),
                "nginx",
                self.process,
                lambda: (tmp / "stderr.log").read_text() + self.error_log(),
            )
        except BaseException:
            self.stop()
            raise

    def client(self, **kwargs):
        return Client(self.url, **kwargs)

    def error_log(self):
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def access_log(self):
        path = self.folder / "access.log"
        return path.read_text(errors="replace").splitlines() if path.exists() else []

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._stderr.close()


class Redis:
    """A throwaway redis-server on a free loopback port, keeping its snapshot in `folder`."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.binary = ensure("ensure-redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.start()

    def start(self):
        """Start (again): with the snapshot in its folder if there is one, as Debian's does."""
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.folder), "--dbfilename", "dump.rdb"],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(lambda: self.client().ping(), "redis-server", self.process)

    def client(self):
        import redis

        return redis.Redis(port=self.port, socket_timeout=5)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)


def postgres_bindir():
    """Debian's PostgreSQL programs (scripts/with-postgres installs the package as root)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        subprocess.run([str(ROOT / "scripts/with-postgres"), "true"], check=True, timeout=900)
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent


class Postgres:
    """A throwaway PostgreSQL cluster on a free loopback port that a test may stop and start."""

    def __init__(self):
        # Its own folder in /tmp, which the 'postgres' user can reach when we are root.
        self.folder = Path(tempfile.mkdtemp(prefix="cramps-pg."))
        self.folder.chmod(0o755)
        self.bindir = postgres_bindir()
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/cramps"
        # PostgreSQL refuses to run as root: then it runs as the 'postgres' user.
        self.as_pg = []
        if os.geteuid() == 0:
            if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
                subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
            self.as_pg = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.folder, "postgres")
        self.data = self.folder / "data"
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", "cramps")

    def _run(self, program, *args):
        subprocess.run(
            [*self.as_pg, str(self.bindir / program), *map(str, args)],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self):
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        self._run("pg_ctl", "-D", self.data, "-l", self.folder / "server.log", "-w", "-o", options,
                  "start")  # fmt: skip

    def stop(self):
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def remove(self):
        subprocess.run(
            [*self.as_pg, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
             "stop"], capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


# --- an editor's save, and when readers see it ---------------------------------------------


def section_path(editor, heading):
    """The admin change form of the section with this heading."""
    found = editor.get("/admin/articles/section/?" + urllib.parse.urlencode({"q": heading}))
    paths = {
        link.split("?")[0]
        for link in links(found.text)
        if re.fullmatch(r"/admin/articles/section/\d+/change/(\?.*)?", link)
    }
    assert len(paths) == 1, paths
    return paths.pop()


def save_heading(editor, path, heading):
    """An editor's save through the front; the moment its answer arrived."""
    saved = editor.submit_change_form(path, "section_form", heading=heading)
    assert saved.status == 302, saved.text[:3000]
    return time.monotonic()


def seconds_until_readers_see(nginx, text, since, pages, limit=30):
    """Load the pages through the front until every one shows `text`: the seconds it took."""
    reader = nginx.client()
    while True:
        answers = [reader.get(page) for page in pages]
        now = time.monotonic()
        if all(a.status == 200 and text in a.text for a in answers):
            return now - since
        assert now - since < limit, [(a.status, a.headers.get("X-Cache-Status")) for a in answers]
