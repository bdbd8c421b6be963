from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse


def agent_required(view):
    """Active staff who passed the second factor; others go to the agents' log-in page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        # is_verified comes from django-otp's middleware; without it nobody is verified.
        verified = getattr(user, "is_verified", None)
        if not (user.is_authenticated and verified is not None and verified()):
            return redirect_to_login(request.get_full_path(), reverse("security:login"))
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
