"""The agents' two-step log-in (password, then authenticator or recovery code), first-time set-up
of the authenticator, and renewing recovery codes. Customers never log in."""

import time
from urllib.parse import urlencode

import django_otp
from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from security import two_factor
from security.audit import Action, audit_record
from security.decorators import agent_required
from security.forms import CodeStepForm, EnrollForm, PasswordStepForm, RenewCodesForm
from security.models import RecoveryCodeDevice

PENDING_LOGIN_KEY = "security_pending_login"
# Time allowed between the password and the second step.
PENDING_LOGIN_SECONDS = 5 * 60
TOO_MANY_REQUESTS = 429


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def _step_status(result: two_factor.StepResult) -> int:
    return TOO_MANY_REQUESTS if result.retry_after else 200


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    user = request.user
    if user.is_authenticated and user.is_staff and user.is_verified():
        return redirect(next_url)
    form = PasswordStepForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = two_factor.password_check(
            request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if not result.error:
            request.session.cycle_key()
            request.session[PENDING_LOGIN_KEY] = {
                "user": result.user.pk,
                "backend": result.user.backend,
                "since": time.time(),
                # A new password meanwhile ends this half-finished log-in.
                "auth_hash": result.user.get_session_auth_hash(),
            }
            return redirect(f"{reverse('security:verify')}?{urlencode({'next': next_url})}")
        form.add_error(None, result.error)
        status = _step_status(result)
    return render(request, "security/login.html", {"form": form, "next": next_url}, status=status)


def _pending_login(request: HttpRequest):
    pending = request.session.get(PENDING_LOGIN_KEY)
    if not pending or time.time() - pending["since"] > PENDING_LOGIN_SECONDS:
        return None, None
    user = (
        get_user_model().objects.filter(pk=pending["user"], is_active=True, is_staff=True).first()
    )
    if user is None or not constant_time_compare(
        pending.get("auth_hash", ""), user.get_session_auth_hash()
    ):
        return None, None
    return user, pending["backend"]


def _log_in(request: HttpRequest, user, device, backend: str) -> None:
    request.session.pop(PENDING_LOGIN_KEY, None)
    login(request, user, backend=backend)
    django_otp.login(request, device)
    method = "recovery_code" if isinstance(device, RecoveryCodeDevice) else "authenticator"
    audit_record(Action.LOGIN, actor=user, request=request, detail={"second_factor": method})


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    user, backend = _pending_login(request)
    if user is None:
        return redirect(f"{reverse('security:login')}?{urlencode({'next': next_url})}")
    if not two_factor.has_authenticator(user):
        return _enroll(request, user, backend, next_url)
    form = CodeStepForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = two_factor.second_factor_check(request, user=user, code=form.cleaned_data["code"])
        if not result.error:
            _log_in(request, user, result.device, backend)
            return redirect(next_url)
        form.add_error(None, result.error)
        status = _step_status(result)
    return render(
        request,
        "security/verify.html",
        {"form": form, "next": next_url, "agent": user},
        status=status,
    )


def _enroll(request: HttpRequest, user, backend: str, next_url: str) -> HttpResponse:
    form = EnrollForm(request.POST or None)
    status = 200
    pending = request.session[PENDING_LOGIN_KEY]
    if request.method == "POST" and form.is_valid():
        result = two_factor.two_factor_enroll(
            request, user=user, device_id=pending.get("enrolling"), code=form.cleaned_data["code"]
        )
        if not result.error:
            _log_in(request, user, result.device, backend)
            return render(
                request,
                "security/recovery_codes.html",
                {"codes": result.recovery_codes, "next": next_url, "first_time": True},
            )
        form.add_error(None, result.error)
        status = _step_status(result)
    device = two_factor.authenticator_pending(user, device_id=pending.get("enrolling"))
    if pending.get("enrolling") != device.pk:
        request.session[PENDING_LOGIN_KEY] = {**pending, "enrolling": device.pk}
    context = {
        "form": form,
        "next": next_url,
        "agent": user,
        "secret": two_factor.authenticator_secret(device),
        # segno's own SVG markup of the otpauth:// address; no user text reaches it raw.
        "qr_svg": mark_safe(two_factor.authenticator_qr_svg(device)),  # noqa: S308
    }
    return render(request, "security/enroll.html", context, status=status)


@never_cache
@agent_required
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def two_factor_view(request: HttpRequest) -> HttpResponse:
    """The agent's second factor: recovery codes left, and renewing them."""
    form = RenewCodesForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        code = "".join(form.cleaned_data["code"].split())
        if not code.isdigit():
            form.add_error("code", two_factor.AUTHENTICATOR_CODE_NEEDED)
        else:
            result = two_factor.second_factor_check(request, user=request.user, code=code)
            if not result.error:
                codes = two_factor.recovery_codes_renew(user=request.user, request=request)
                context = {"codes": codes, "next": reverse("security:two_factor")}
                return render(request, "security/recovery_codes.html", context)
            form.add_error("code", result.error)
            status = _step_status(result)
    recovery = RecoveryCodeDevice.objects.filter(user=request.user).first()
    context = {"form": form, "codes_left": recovery.codes_left if recovery else 0}
    return render(request, "security/two_factor.html", context, status=status)
