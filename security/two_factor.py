"""Agents' two-step log-in: a password, then a code from an authenticator app (TOTP) or a
one-time recovery code. Devices are django-otp's; a session counts as verified when django-otp's
session key names a confirmed device of its user (`session_verified`).
"""

from __future__ import annotations

from base64 import b32encode
from dataclasses import dataclass, field

import segno
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from security import lockout, sockets
from security.audit import Action, audit_record, client_address
from security.models import RecoveryCodeDevice

AUTHENTICATOR_NAME = "authenticator"
AUTHENTICATOR_CODE_NEEDED = _lazy("Use a code from your authenticator app, not a recovery code.")


@dataclass
class StepResult:
    """The outcome of one log-in step: the user on success, else a message for the form."""

    user: object | None = None
    device: Device | None = None
    error: str = ""
    retry_after: int | None = None
    recovery_codes: list[str] = field(default_factory=list)


def _locked_message(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return ngettext(
        "Too many failed attempts. Log-in is paused for this account; try again in %(n)d minute.",
        "Too many failed attempts. Log-in is paused for this account; try again in %(n)d minutes.",
        minutes,
    ) % {"n": minutes}


def _guarded(request: HttpRequest, username: str, check) -> StepResult:
    """Run one credential check under the lockout (reserved first, so it holds under a race)."""
    keys = lockout.lockout_keys(username=username, address=client_address(request))
    retry_after = lockout.attempt_reserve(keys)
    if retry_after is not None:
        return StepResult(error=_locked_message(retry_after), retry_after=retry_after)
    result = check()
    if result.error:
        if lockout.attempt_failed(keys):
            audit_record(Action.LOCKED_OUT, request=request, actor_username=username[:150])
        audit_record(Action.LOGIN_FAILED, request=request, actor_username=username[:150])
    else:
        lockout.attempt_succeeded(keys, finished=result.device is not None)
    return result


def password_check(request: HttpRequest, *, username: str, password: str) -> StepResult:
    """Step one. Only active staff may pass; the message never tells which part was wrong."""

    def check() -> StepResult:
        user = authenticate(request, username=username, password=password)
        if user is None or not user.is_staff:
            return StepResult(error=_("The username or password is not right."))
        return StepResult(user=user)

    return _guarded(request, username, check)


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_check(request: HttpRequest, *, user, code: str) -> StepResult:
    """Step two: a current authenticator code, or one of the user's recovery codes."""

    def check() -> StepResult:
        token = "".join(code.split())
        if token.isdigit():
            # Locked, so two requests with one code cannot both pass django-otp's replay check.
            with transaction.atomic():
                for device in TOTPDevice.objects.select_for_update().filter(
                    user=user, confirmed=True
                ):
                    if device.verify_token(token):
                        return StepResult(user=user, device=device)
        else:
            recovery = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
            if recovery is not None and recovery.verify_token(token):
                audit_record(
                    Action.RECOVERY_CODE_USED,
                    actor=user,
                    request=request,
                    detail={"codes_left": recovery.codes_left},
                )
                return StepResult(user=user, device=recovery)
        return StepResult(error=_("That code is not right, or it has expired. Try the next one."))

    return _guarded(request, user.get_username(), check)


def authenticator_pending(user, *, device_id: int | None = None) -> TOTPDevice:
    """The authenticator being set up in one log-in: its own key (kept across reloads of that
    log-in by `device_id`), never shown to another session. A new set-up replaces any other
    unconfirmed key of the user."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False, pk=device_id).first()
    if device is None:
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def authenticator_secret(device: TOTPDevice) -> str:
    """The key for typing in by hand, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def authenticator_qr_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#0f172a", light="#ffffff", omitsize=True
    )


def two_factor_enroll(
    request: HttpRequest, *, user, device_id: int | None, code: str
) -> StepResult:
    """Confirm this log-in's pending authenticator with its first code; issue recovery codes."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False, pk=device_id).first()

    def check() -> StepResult:
        if device is None:
            return StepResult(error=_("The set-up expired. Scan the new code and try again."))
        if not device.verify_token("".join(code.split())):
            return StepResult(
                error=_("That code is not right. Check the time on your phone and try again.")
            )
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = recovery_codes_renew(user=user)
            audit_record(Action.TWO_FACTOR_ENROLLED, actor=user, request=request)
        return StepResult(user=user, device=device, recovery_codes=codes)

    return _guarded(request, user.get_username(), check)


def recovery_codes_renew(*, user, request: HttpRequest | None = None) -> list[str]:
    """New recovery codes for `user`; the old ones stop working."""
    with transaction.atomic():
        device, _created = RecoveryCodeDevice.objects.get_or_create(
            user=user, defaults={"name": "recovery codes", "confirmed": True}
        )
        codes = device.codes_renew()
        if request is not None:
            audit_record(Action.RECOVERY_CODES_RENEWED, actor=user, request=request)
    return codes


def two_factor_reset(*, user, by=None, request: HttpRequest | None = None) -> None:
    """Forget the user's devices (a lost phone): they set up a new one at their next log-in.
    Their open sessions lose their verification and their sockets close."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCodeDevice.objects.filter(user=user).delete()
        audit_record(
            Action.TWO_FACTOR_RESET,
            actor=by,
            request=request,
            target=user.get_username(),
            actor_username="" if by else "system",
        )
        transaction.on_commit(lambda: sockets.sockets_close_for_user(user.pk))


def session_verified(user, session) -> bool:
    """Does this session hold a second factor for `user` (django-otp's OTPMiddleware rule)?"""
    if user is None or not user.is_authenticated or session is None:
        return False
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return device is not None and device.user_id == user.pk and device.confirmed
