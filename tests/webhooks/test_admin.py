"""Subscriptions in the admin: the URL rule, the secret never shown again, the test button
(POST, CSRF, permission) and the attempts it leaves."""

import socket

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from tests.support.auth import login_with_second_factor
from tests.support.factories import WEBHOOK_SECRET, make_subscription
from webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db

NEW_SECRET = "rotated-secret-6c1f9e2b7d4a8e3f5b0c"
PUBLIC_ADDRESS = "93.184.216.34"


@pytest.fixture
def admin_client_2fa(superuser):
    client = Client()
    login_with_second_factor(client, superuser)
    return client


@pytest.fixture
def public_dns(monkeypatch):
    """Every host name resolves to one public address (the tests run without a network)."""

    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_ADDRESS, port or 443))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def staff_with(django_user_model, *codenames):
    user = django_user_model.objects.create_user(
        username=f"staff-{'-'.join(codenames) or 'none'}", password="a-long-password", is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    login_with_second_factor(client, user)
    return client


def form_data(**overrides):
    data = {
        "name": "Wallet backend",
        "url": "https://hooks.wallet.example/desk",
        "events": ["ticket.agent_replied", "chat.closed"],
        "is_active": "on",
        "new_secret": NEW_SECRET,
    }
    data.update(overrides)
    return data


ADD_URL = "admin:webhooks_subscription_add"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8080/hook", "private, loopback or link-local"),
        ("http://169.254.169.254/latest/meta-data/", "private, loopback or link-local"),
        ("http://[::1]/hook", "private, loopback or link-local"),
        ("http://10.0.0.7/hook", "private, loopback or link-local"),
        ("http://localhost/hook", "private, loopback or link-local"),
        ("ftp://hooks.wallet.example/", "Enter an http or https address"),
        ("https://user:pw@hooks.wallet.example/", "no user name or password"),
    ],
)
def test_the_admin_refuses_a_url_into_the_desks_own_network(
    admin_client_2fa, settings, url, message
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    response = admin_client_2fa.post(reverse(ADD_URL), form_data(url=url))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_admin_wants_https_in_production(admin_client_2fa, settings, public_dns):
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    response = admin_client_2fa.post(reverse(ADD_URL), form_data(url="http://hooks.example/"))
    assert "must start with https://" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_host_name_resolving_to_a_private_address_is_refused(
    admin_client_2fa, settings, monkeypatch
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))
        ],
    )
    response = admin_client_2fa.post(reverse(ADD_URL), form_data())
    assert "private, loopback or link-local" in response.content.decode()


def test_the_secret_is_saved_but_never_shown_again(admin_client_2fa, settings, public_dns):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    response = admin_client_2fa.post(reverse(ADD_URL), form_data())
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.secret == NEW_SECRET
    assert subscription.events == ["ticket.agent_replied", "chat.closed"]
    assert subscription.include_text is False  # text is off unless asked for

    change = reverse("admin:webhooks_subscription_change", args=[subscription.pk])
    page = admin_client_2fa.get(change).content.decode()
    assert NEW_SECRET not in page
    assert NEW_SECRET[:-4] not in page
    assert "••••••••" + NEW_SECRET[-4:] in page
    # Saving again with the secret field empty keeps the secret.
    data = form_data(name="Renamed", new_secret="")
    assert admin_client_2fa.post(change, data).status_code == 302
    subscription.refresh_from_db()
    assert (subscription.name, subscription.secret) == ("Renamed", NEW_SECRET)


def test_a_new_subscription_without_a_secret_gets_a_random_one(admin_client_2fa, public_dns):
    admin_client_2fa.post(reverse(ADD_URL), form_data(new_secret=""))
    assert len(Subscription.objects.get().secret) >= 40


def test_a_short_secret_is_refused(admin_client_2fa, public_dns):
    response = admin_client_2fa.post(reverse(ADD_URL), form_data(new_secret="short"))
    assert "Use at least 24 characters." in response.content.decode()
    assert not Subscription.objects.exists()


def test_staff_who_may_only_look_see_no_secret_and_cannot_send_a_test(
    django_user_model, receiver, django_capture_on_commit_callbacks
):
    subscription = make_subscription(receiver.url)
    client = staff_with(django_user_model, "view_subscription")
    page = client.get(reverse("admin:webhooks_subscription_change", args=[subscription.pk]))
    html = page.content.decode()

    assert page.status_code == 200
    assert WEBHOOK_SECRET[-4:] not in html
    assert "Send test event" not in html
    send = reverse("admin:webhooks_subscription_send_test", args=[subscription.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(send).status_code == 403
    assert receiver.received == []
    assert not Delivery.objects.exists()


def test_staff_who_may_edit_but_not_test_cannot_send_a_test(django_user_model, receiver):
    subscription = make_subscription(receiver.url)
    client = staff_with(django_user_model, "view_subscription", "change_subscription")
    page = client.get(reverse("admin:webhooks_subscription_change", args=[subscription.pk]))
    assert "Send test event" not in page.content.decode()
    send = reverse("admin:webhooks_subscription_send_test", args=[subscription.pk])
    assert client.post(send).status_code == 403
    assert not Delivery.objects.exists()


def test_staff_without_the_second_factor_reach_nothing(client, staff_user, receiver):
    staff_user.user_permissions.set(Permission.objects.filter(codename="send_test_event"))
    client.force_login(staff_user)
    subscription = make_subscription(receiver.url)
    send = reverse("admin:webhooks_subscription_send_test", args=[subscription.pk])
    assert client.post(send).status_code == 302  # to the log-in
    assert not Delivery.objects.exists()


def test_the_test_button_needs_post_and_the_csrf_token(superuser, receiver):
    subscription = make_subscription(receiver.url)
    client = Client(enforce_csrf_checks=True)
    login_with_second_factor(client, superuser)
    send = reverse("admin:webhooks_subscription_send_test", args=[subscription.pk])

    assert client.get(send).status_code == 405
    assert client.post(send).status_code == 403  # no CSRF token
    assert not Delivery.objects.exists()


def test_the_test_event_is_signed_delivered_and_its_attempt_shown(
    admin_client_2fa, receiver, django_capture_on_commit_callbacks
):
    subscription = make_subscription(receiver.url, events=["chat.closed"])
    change = reverse("admin:webhooks_subscription_change", args=[subscription.pk])
    assert "Send test event" in admin_client_2fa.get(change).content.decode()
    send = reverse("admin:webhooks_subscription_send_test", args=[subscription.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_2fa.post(send)

    delivery = Delivery.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:webhooks_delivery_change", args=[delivery.pk])
    [request] = receiver.received
    assert request.signature_ok
    assert request.event == "webhook.test"
    assert request.payload["data"] == {"subscription": {"id": subscription.pk}}
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.DELIVERED
    page = admin_client_2fa.get(response["Location"]).content.decode()
    assert "204" in page
    assert str(delivery.event_id) in page
    listing = admin_client_2fa.get(reverse("admin:webhooks_delivery_changelist"))
    assert listing.status_code == 200
    assert "webhook.test" in listing.content.decode()


def test_staff_without_the_delivery_permission_see_no_payload(django_user_model, receiver):
    subscription = make_subscription(receiver.url, include_text=True)
    delivery = Delivery.objects.create(
        subscription=subscription, event="ticket.agent_replied", payload={"data": {"x": "text"}}
    )
    client = staff_with(django_user_model, "view_subscription")
    assert client.get(reverse("admin:webhooks_delivery_changelist")).status_code == 403
    change = reverse("admin:webhooks_delivery_change", args=[delivery.pk])
    assert client.get(change).status_code == 403


def test_the_subscription_page_speaks_both_languages(admin_client_2fa, receiver):
    subscription = make_subscription(receiver.url)
    change = reverse("admin:webhooks_subscription_change", args=[subscription.pk])
    chinese = admin_client_2fa.get(change, headers={"accept-language": "zh-hans"})
    english = admin_client_2fa.get(change, headers={"accept-language": "en"})

    assert "发送测试事件" in chinese.content.decode()
    assert "客服已回复" in chinese.content.decode()
    assert "包含消息正文" in chinese.content.decode()
    assert "Send test event" in english.content.decode()
    assert "Agent replied" in english.content.decode()
