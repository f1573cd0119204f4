"""Response headers Django has no setting for, and the health check's shortcut."""


def cross_origin_resource_policy(get_response):
    """Cross-Origin-Resource-Policy: no other site may embed our pages, images or scripts."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response

    return middleware


def health_check(get_response):
    """Answer /healthz before anything reads the Host header: load balancers and monitors probe
    by address (http://10.0.0.11:8000/healthz), which is not among ALLOWED_HOSTS."""
    from .views import healthz

    def middleware(request):
        if request.path_info == "/healthz":
            return healthz(request)
        return get_response(request)

    return middleware
