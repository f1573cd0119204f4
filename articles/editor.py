"""Access control for the markdownx editor endpoints."""

from functools import wraps

from django.core.exceptions import PermissionDenied


def staff_only(view):
    """Answer 403 to anyone but logged-in, active staff: the endpoints are editor tools."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
