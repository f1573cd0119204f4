"""gunicorn settings: `gunicorn -c cramps_site/gunicorn.conf.py cramps_site.wsgi`.

Every value can be overridden from the environment (GUNICORN_*), as for the bind address.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# The usual rule for sync workers: two per core, plus one. Cores this process may use, which
# in a container can be fewer than the machine has.
workers = int(os.environ.get("GUNICORN_WORKERS", len(os.sched_getaffinity(0)) * 2 + 1))
# Load Django once in the master, then fork: workers start (and restart) fast and share memory.
# Code changes then need a restart, not a HUP.
preload_app = True

# Recycle workers now and then so a slow leak can never grow; jitter avoids all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Access log to stdout, with the client address the proxy saw and the time taken (ms).
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
access_log_format = (
    '%(h)s fwd=%({x-forwarded-for}i)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
)
errorlog = "-"
# X-Forwarded-* headers are believed only from these addresses (the reverse proxy); from
# anyone else they are ignored. From the proxy, X-Forwarded-Proto: https marks the request as
# HTTPS for Django (secure cookies, HSTS). Only that one header: deploy/nginx.conf sets it.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
# gunicorn's control socket (for `gunicornc`) only when asked for: its default path is one per
# user, which two instances on one machine (make bench, the tests) would fight over.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
