"""Writing the audit log (`AuditEvent`): one call per sensitive action, from services and views.

Details hold identifiers and counts only, never message bodies, evidence or secrets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from security.models import AuditEvent

if TYPE_CHECKING:
    from django.http import HttpRequest

Action = AuditEvent.Action


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address as the server saw it (the proxy's, once it is trusted)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    action: str,
    *,
    actor=None,
    request: HttpRequest | None = None,
    ticket_reference: str = "",
    target: str = "",
    detail: dict | None = None,
    actor_username: str = "",
) -> AuditEvent:
    """Append one event. `actor` defaults to the request's user; `actor_username` names an
    actor who is not (yet) logged in, such as a failed log-in's claimed username."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEvent.objects.create(
        action=action,
        actor_id=actor.pk if actor is not None else None,
        actor_username=(actor.get_username() if actor is not None else actor_username)[:150],
        ticket_reference=ticket_reference,
        target=str(target)[:200],
        detail=detail or {},
        ip_address=client_address(request),
    )
