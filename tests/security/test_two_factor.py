"""Agents' two-step log-in: the second factor is required everywhere an agent works, set up on
first log-in, with one-time recovery codes, behind a lockout that holds under a race."""

import threading
import time

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from security import two_factor
from security.models import AuditEvent, RecoveryCodeDevice
from tests.support.chat import communicator, run
from tests.support.factories import make_agent

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"
LOGIN = "/agent/login/"
VERIFY = "/agent/login/verify/"


@pytest.fixture(autouse=True)
def _fresh_lockout(settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_LOCKOUT_SECONDS = 900
    cache.clear()
    yield
    cache.clear()


def _totp_at(device: TOTPDevice, moment: float) -> int:
    from django_otp.oath import TOTP

    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    generator.time = moment
    return generator.token()


def enrolled_agent(team: str = "transactions"):
    agent = make_agent(team)
    device = TOTPDevice.objects.create(user=agent, name="authenticator", confirmed=True)
    return agent, device


def password_step(client, username: str, password: str = PASSWORD, next_url: str = "/admin/"):
    return client.post(LOGIN, {"username": username, "password": password, "next": next_url})


# --- the second factor is required ----------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/tickets/ticket/", "/agent/chat/", "/agent/dashboard/"]
)
def test_a_password_only_session_is_refused_everywhere_agents_work(client, path):
    agent, _device = enrolled_agent()
    client.force_login(agent)  # a session without the second factor

    response = client.get(path, follow=True)

    assert response.redirect_chain[-1][0] == f"{reverse('security:login')}?next={path}"
    assert response.status_code == 200
    assert "password" in response.context["form"].fields


def test_the_agent_socket_refuses_a_password_only_session():
    agent, _device = enrolled_agent()
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(agent)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    async def scenario():
        socket = communicator("/ws/agent/", cookie.encode())
        connected, code = await socket.connect()
        assert not connected
        assert code == 4403

    run(scenario)


def test_admin_login_page_sends_agents_to_the_two_step_login(client):
    response = client.get("/admin/login/?next=/admin/tickets/ticket/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/tickets/ticket/"


# --- logging in -----------------------------------------------------------------------------


def test_password_then_authenticator_code_opens_the_admin(client):
    agent, device = enrolled_agent()

    first = password_step(client, agent.username)
    assert first.status_code == 302
    assert first["Location"].startswith(VERIFY)
    assert client.get("/admin/").status_code == 302  # not logged in after the password alone

    second = client.post(VERIFY, {"code": _code(device), "next": "/admin/"})

    assert second.status_code == 302
    assert second["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    login = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert login.actor_id == agent.pk
    assert login.detail == {"second_factor": "authenticator"}


def _code(device: TOTPDevice, offset_steps: int = 0) -> str:
    return f"{_totp_at(device, time.time() + offset_steps * device.step):06d}"


def test_a_wrong_code_is_refused_and_nothing_is_opened(client):
    agent, device = enrolled_agent()
    password_step(client, agent.username)

    response = client.post(VERIFY, {"code": _code(device, offset_steps=10), "next": "/admin/"})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_used_code_cannot_be_replayed(client):
    agent, device = enrolled_agent()
    code = _code(device)
    password_step(client, agent.username)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    other = type(client)()

    password_step(other, agent.username)
    replay = other.post(VERIFY, {"code": code})

    assert replay.status_code == 200
    assert other.get("/admin/").status_code == 302


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_wrong_password_and_non_staff_get_the_same_answer(client, django_user_model, language):
    agent, _device = enrolled_agent()
    django_user_model.objects.create_user(username="customer", password=PASSWORD)
    client.cookies["django_language"] = language

    wrong = password_step(client, agent.username, "not-the-password")
    customer = password_step(client, "customer")

    assert wrong.status_code == customer.status_code == 200
    assert wrong.context["form"].non_field_errors() == customer.context["form"].non_field_errors()
    assert wrong.context["form"].non_field_errors()
    assert f'lang="{language}"' in wrong.content.decode()


def test_the_second_step_expires(client):
    agent, device = enrolled_agent()
    password_step(client, agent.username)

    with time_machine.travel(time.time() + 6 * 60, tick=False):
        response = client.post(VERIFY, {"code": _code(device)})

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert client.get("/admin/").status_code == 302


def test_next_cannot_send_an_agent_off_site(client):
    agent, device = enrolled_agent()
    password_step(client, agent.username, next_url="https://evil.example/")

    response = client.post(VERIFY, {"code": _code(device), "next": "https://evil.example/"})

    assert response["Location"] == "/admin/"


# --- first log-in: setting up the authenticator ----------------------------------------------


def test_first_login_sets_up_the_authenticator_and_shows_recovery_codes_once(client):
    agent = make_agent("payments")
    password_step(client, agent.username)

    setup = client.get(f"{VERIFY}?next=/admin/")
    assert setup.status_code == 200
    page = setup.content.decode()
    assert "<svg" in page
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    assert setup.context["secret"].replace(" ", "") in page.replace(" ", "")

    wrong = client.post(VERIFY, {"code": _code(device, offset_steps=10), "next": "/admin/"})
    assert wrong.status_code == 200
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed

    done = client.post(VERIFY, {"code": _code(device), "next": "/admin/"})

    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    stored = RecoveryCodeDevice.objects.get(user=agent)
    for code in codes:
        assert code.replace("-", "") not in str(stored.code_digests)
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.TWO_FACTOR_ENROLLED).count() == 1


def test_a_recovery_code_logs_in_once(client):
    agent, _device = enrolled_agent()
    codes = two_factor.recovery_codes_renew(user=agent)
    password_step(client, agent.username)

    first = client.post(VERIFY, {"code": codes[3].upper(), "next": "/admin/"})
    assert first.status_code == 302
    assert RecoveryCodeDevice.objects.get(user=agent).codes_left == 9
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RECOVERY_CODE_USED).exists()

    again = type(client)()
    password_step(again, agent.username)
    second = again.post(VERIFY, {"code": codes[3]})

    assert second.status_code == 200
    assert again.get("/admin/").status_code == 302


def test_renewing_recovery_codes_needs_an_authenticator_code(client):
    from tests.support.auth import login_with_second_factor

    agent, device = enrolled_agent()
    old = two_factor.recovery_codes_renew(user=agent)
    login_with_second_factor(client, agent)

    refused = client.post("/agent/two-factor/", {"code": old[0]})
    assert refused.status_code == 200
    assert RecoveryCodeDevice.objects.get(user=agent).codes_left == 10

    renewed = client.post("/agent/two-factor/", {"code": _code(device)})

    new = renewed.context["codes"]
    assert set(new).isdisjoint(old)
    assert not RecoveryCodeDevice.objects.get(user=agent).verify_token(old[1])
    assert RecoveryCodeDevice.objects.get(user=agent).verify_token(new[1])


# --- the lockout ------------------------------------------------------------------------------


def test_lockout_after_repeated_failures_even_for_the_right_password(client):
    agent, _device = enrolled_agent()
    for _ in range(5):
        assert password_step(client, agent.username, "wrong").status_code == 200

    locked = password_step(client, agent.username)

    assert locked.status_code == 429
    assert "try again in 15 minutes" in locked.content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOCKED_OUT).count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).count() == 5


def test_the_lockout_ends_after_its_time(client, settings):
    # In local memory, so the travelled clock also moves the cache's expiry.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    agent, _device = enrolled_agent()
    for _ in range(5):
        password_step(client, agent.username, "wrong")
    assert password_step(client, agent.username).status_code == 429

    with time_machine.travel(time.time() + 901, tick=False):
        reopened = password_step(client, agent.username)

    assert reopened.status_code == 302


def test_code_guesses_count_towards_the_lockout(client):
    agent, device = enrolled_agent()
    password_step(client, agent.username)
    for _ in range(5):
        client.post(VERIFY, {"code": "000000"})

    response = client.post(VERIFY, {"code": _code(device)})

    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302


def test_a_full_login_clears_the_failures(client):
    agent, device = enrolled_agent()
    for _ in range(4):
        password_step(client, agent.username, "wrong")
    password_step(client, agent.username)
    client.post(VERIFY, {"code": _code(device)})
    client.logout()

    for _ in range(4):
        password_step(client, agent.username, "wrong")

    assert password_step(client, agent.username).status_code == 302


@pytest.fixture(params=["local memory", "redis"])
def shared_cache(request, settings):
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        }
    cache.clear()
    yield request.param
    cache.clear()


def test_parallel_guesses_never_get_more_than_the_limit_checked(shared_cache, rf, monkeypatch):
    """Thirty guesses at once: only five passwords are ever checked, all thirty fail."""
    checked = []
    lock = threading.Lock()

    def slow_wrong_password(request, **credentials):
        with lock:
            checked.append(credentials["username"])
        time.sleep(0.05)  # every thread is inside the check at once
        return None

    monkeypatch.setattr(two_factor, "authenticate", slow_wrong_password)
    monkeypatch.setattr(two_factor, "audit_record", lambda *args, **kwargs: None)
    start = threading.Barrier(30)
    results = []

    def attempt():
        request = rf.post(LOGIN)
        start.wait()
        result = two_factor.password_check(request, username="agent1", password="guess")
        with lock:
            results.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(checked) == 5
    assert all(result.user is None and result.error for result in results)
    assert sum(result.retry_after is not None for result in results) == 25
    assert two_factor.lockout.locked_out_for(
        two_factor.lockout.lockout_keys(username="agent1", address="127.0.0.1")
    )


def test_other_accounts_are_not_locked_by_one_account_lockout(client):
    locked_agent, _ = enrolled_agent()
    other, _ = enrolled_agent()
    for _ in range(5):
        password_step(client, locked_agent.username, "wrong")

    assert password_step(client, other.username).status_code == 302


def test_each_login_sets_up_its_own_key_never_shown_to_another_session(client):
    agent = make_agent("payments")
    password_step(client, agent.username)
    first = client.get(VERIFY).context["secret"]
    assert client.get(VERIFY).context["secret"] == first  # a reload keeps it
    intruder = type(client)()
    password_step(intruder, agent.username)

    second = intruder.get(VERIFY).context["secret"]

    assert second != first
    stale = TOTPDevice.objects.filter(user=agent, confirmed=False)
    assert stale.count() == 1
    refused = client.post(VERIFY, {"code": _code(stale.get())})
    assert refused.status_code == 200
    assert "set-up expired" in refused.content.decode()


def test_a_new_password_ends_a_half_finished_login(client):
    agent, device = enrolled_agent()
    password_step(client, agent.username)
    agent.set_password("another-long-password-entirely")
    agent.save()

    response = client.post(VERIFY, {"code": _code(device)})

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert client.get("/admin/").status_code == 302


def test_authenticator_keys_are_not_in_the_admin(client, superuser):
    from tests.support.auth import login_with_second_factor

    login_with_second_factor(client, superuser)

    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
