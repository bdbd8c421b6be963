"""Writes on agents' accounts."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction


@transaction.atomic
def first_admin_create(*, username: str, email: str, password: str):
    """Create the desk's first superuser, unless one exists already (then None): a fresh
    deployment's bootstrap may run on every start without touching the accounts."""
    user_model = get_user_model()
    if user_model.objects.select_for_update().filter(is_superuser=True).exists():
        return None
    user = user_model(username=username, email=email, is_staff=True, is_superuser=True)
    validate_password(password, user)  # ValidationError: a weak or look-alike password
    user.set_password(password)
    user.full_clean()
    user.save()
    return user
