"""The client's address for login throttling (django-axes' AXES_CLIENT_IP_CALLABLE).

Behind the proxy, REMOTE_ADDR is the proxy's address for every reader: throttling by it would
let anyone lock every editor out. The proxy's X-Forwarded-For is believed only when the
request comes from the proxy itself, the same addresses gunicorn trusts
(GUNICORN_FORWARDED_ALLOW_IPS); deploy/nginx.conf replaces the header, so its last address is
the one nginx saw.
"""

import ipaddress

from django.conf import settings


def _networks(entries):
    return [ipaddress.ip_network(entry, strict=False) for entry in entries if entry != "*"]


def _trusted(address):
    if "*" in settings.TRUSTED_PROXIES:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(settings.TRUSTED_PROXIES))


def client_ip(request):
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and _trusted(remote):
        last = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            pass
    return remote
