"""Response headers Django has no setting for."""


def cross_origin_resource_policy(get_response):
    """Cross-Origin-Resource-Policy: no other site may embed our pages, images or scripts."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response

    return middleware
