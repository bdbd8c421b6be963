"""`manage.py bootstrap`: a fresh deployment gets its schema, its help centre and its first admin,
and running it again on every start changes nothing."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from faq.models import Article

ADMIN = {
    "FIRST_ADMIN_USERNAME": "first-admin",
    "FIRST_ADMIN_EMAIL": "admin@wallet.example",
    "FIRST_ADMIN_PASSWORD": "a-long-first-admin-password-31",
}


def bootstrap() -> str:
    out = StringIO()
    call_command("bootstrap", stdout=out, verbosity=0)
    return out.getvalue()


@pytest.mark.django_db
def test_bootstrap_creates_the_first_admin_and_loads_the_help_centre_once(monkeypatch):
    for name, value in ADMIN.items():
        monkeypatch.setenv(name, value)

    first = bootstrap()
    articles = Article.objects.count()
    again = bootstrap()

    admin = get_user_model().objects.get(is_superuser=True)
    assert admin.username == "first-admin"
    assert admin.is_staff
    assert admin.check_password(ADMIN["FIRST_ADMIN_PASSWORD"])
    assert "created" in first
    assert articles > 40
    assert Article.objects.count() == articles
    assert "exists already" in again
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


@pytest.mark.django_db
def test_bootstrap_leaves_an_existing_admin_alone(monkeypatch, superuser):
    for name, value in ADMIN.items():
        monkeypatch.setenv(name, value)

    bootstrap()

    assert list(get_user_model().objects.filter(is_superuser=True)) == [superuser]


@pytest.mark.django_db
def test_bootstrap_refuses_a_weak_password_and_creates_nobody(monkeypatch):
    monkeypatch.setenv("FIRST_ADMIN_USERNAME", "first-admin")
    monkeypatch.setenv("FIRST_ADMIN_PASSWORD", "12345678")

    with pytest.raises(CommandError, match="FIRST_ADMIN_"):
        bootstrap()

    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_bootstrap_without_admin_variables_says_how_to_create_one(monkeypatch):
    for name in ADMIN:
        monkeypatch.delenv(name, raising=False)

    assert "createsuperuser" in bootstrap()
    assert not get_user_model().objects.exists()
