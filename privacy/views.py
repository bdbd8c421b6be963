"""The customer's side of privacy.services: ask, confirm, download."""

import logging

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from common.errors import DeskError
from common.forms import ChoicesNotEchoed
from guard.refusals import SecretRefusingForm, form_rate_limited
from privacy import links
from privacy import services as privacy
from privacy.models import DataRequest
from security.ratelimit import rate_limit_hit, rate_limited_render
from tickets.links import LinkExpired

logger = logging.getLogger(__name__)


class DataRequestForm(ChoicesNotEchoed, SecretRefusingForm, forms.Form):
    # A phrase pasted into the address box is refused and never sent back in the page.
    secret_fields = ("email",)
    email = forms.EmailField(
        label=gettext_lazy("Email"),
        help_text=gettext_lazy("The address you wrote to us from."),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("What would you like?"),
        choices=[
            (DataRequest.Kind.EXPORT, gettext_lazy("A copy of my data")),
            (DataRequest.Kind.DELETE, gettext_lazy("Delete my data")),
        ],
        widget=forms.RadioSelect,
    )


def _refused(request: HttpRequest) -> None:
    logger.warning("refused privacy link from %s", request.META.get("REMOTE_ADDR", "-"))
    raise Http404("no such request")


def _expired(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/privacy_link_expired.html", status=410)


@require_http_methods(["GET", "POST"])
def privacy_request(request: HttpRequest) -> HttpResponse:
    """Ask for an export or a deletion; the answer never says whether we hold the address."""
    form = DataRequestForm(request.POST or None)
    if request.method == "POST":
        # Each request mails the address: limited, so nobody can flood someone's inbox.
        if limited := rate_limit_hit(request, "privacy"):
            form = form_rate_limited(form, limited)
            return rate_limited_render(request, "privacy/privacy.html", {"form": form}, limited)
        if not form.is_valid():
            form.without_refused_text()
            return render(request, "privacy/privacy.html", {"form": form}, status=400)
        try:
            privacy.data_request_ask(
                email=form.cleaned_data["email"],
                kind=form.cleaned_data["kind"],
                language=get_language() or "en",
            )
        except DeskError as error:
            form.add_error(None, error.message)
            return render(request, "privacy/privacy.html", {"form": form}, status=400)
        messages.success(
            request,
            _(
                "If we hold data for this address, we have sent it a confirmation link. Open "
                "it within a day to confirm the request."
            ),
        )
        return redirect("privacy:request")
    return render(request, "privacy/privacy.html", {"form": form})


@require_http_methods(["GET", "POST"])
def privacy_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link: a page with a button, so a mail scanner opening it confirms nothing."""
    try:
        data_request = links.data_request_from_confirmation_link(token=token)
    except LinkExpired:
        return _expired(request)
    if data_request is None:
        _refused(request)
    if request.method == "POST":
        privacy.data_request_confirm(data_request=data_request)
        return redirect("privacy:confirm", token=token)
    return render(request, "privacy/privacy_confirm.html", {"data_request": data_request})


@require_GET
def privacy_export(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's export, through the mailed link only, always as a download."""
    try:
        data_request = links.data_request_from_export_link(token=token)
    except LinkExpired:
        return _expired(request)
    if data_request is None:
        _refused(request)
    filename = f"wallet-support-data-{data_request.completed_at:%Y-%m-%d}.json"
    response = FileResponse(
        data_request.export_file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/json",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    logger.info("data request %s: export downloaded", data_request.pk)
    return response
