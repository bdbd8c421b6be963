from rest_framework.permissions import BasePermission

from api.tokens import AppUser


class IsAppUser(BasePermission):
    """A request carrying a valid token from the wallet backend."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, AppUser)
