"""`make run-front`: the site behind the shipped nginx configuration, on this machine.

gunicorn as `make run` serves it (same settings, same database, http://127.0.0.1:8000/), and
nginx with deploy/nginx.conf in front of it, its documented settings changed for loopback
(tests/helpers/front.py): https://127.0.0.1:8443/ with a self-signed certificate made on the
fly, and http://127.0.0.1:8080/ redirecting there. State (certificate, cache, logs) goes to
var/front/. Ctrl-C stops both.

    .venv/bin/python -m scripts.run_front      (from the repo's root, after `make prepare`)
"""

import os
import signal
import sys
import threading
from pathlib import Path

from tests.helpers.front import Nginx
from tests.helpers.servers import Gunicorn

ROOT = Path(__file__).resolve().parent.parent
HTTP_PORT, HTTPS_PORT = 8080, 8443


def main():
    var = Path(os.environ.get("DJANGO_VAR_DIR", ROOT / "var"))
    folder = var / "front"
    folder.mkdir(parents=True, exist_ok=True)
    bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
    host, port = bind.rsplit(":", 1)
    if host != "127.0.0.1":
        raise SystemExit("make run-front serves on loopback only: GUNICORN_BIND=127.0.0.1:<port>")
    # The admin's forms post from https://127.0.0.1:8443 (Django's CSRF check wants to know).
    env = {
        **os.environ,
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{HTTPS_PORT}",
        "PYTHONUNBUFFERED": "1",
    }
    app = Gunicorn(env, folder / "gunicorn.log", workers=None, port=int(port))
    try:
        nginx = Nginx(
            folder / "nginx",
            [app.port],
            http_port=HTTP_PORT,
            https_port=HTTPS_PORT,
            workers="auto",
            redirect_port=True,
        )
    except BaseException:
        app.stop()
        raise
    print(
        f"Serving on https://127.0.0.1:{HTTPS_PORT}/ (self-signed certificate) and "
        f"http://127.0.0.1:{HTTP_PORT}/ (redirects), nginx with deploy/nginx.conf in front of "
        f"gunicorn on http://{bind}/.\nLogs: {folder}/gunicorn.log, {folder}/nginx/. "
        "Ctrl-C stops.",
        flush=True,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        while not stop.is_set():
            if app.process.poll() is not None or nginx.process.poll() is not None:
                print("gunicorn or nginx exited; see the logs.", file=sys.stderr)
                return 1
            stop.wait(1)
    finally:
        nginx.stop()
        app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
