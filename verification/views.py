import logging

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guard.models import GuardEvent
from guard.refusals import form_rate_limited
from guard.services import refusals_record
from security.ratelimit import rate_limit_hit, rate_limited_render
from tickets.held import tickets_held
from verification import selectors, services
from verification.forms import FakeReportForm, VerifyForm

logger = logging.getLogger(__name__)
TEMPLATE = "livechat/verify.html"
REPORT_TEMPLATE = "verification/report.html"


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Is this contact really ours? Official, a known fake, or not ours; never a name for a code."""
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and (limited := rate_limit_hit(request, "verify")):
        form = form_rate_limited(form, limited, field="code")
        return rate_limited_render(request, TEMPLATE, {"form": form, "result": None}, limited)
    verdict = None
    if request.method == "POST" and form.is_valid():
        verdict = selectors.contact_verify(
            raw=form.cleaned_data["code"],
            agent_name=form.cleaned_data["agent_name"],
            held=tickets_held(session=request.session, user=request.user),
        )
        if verdict.answer in {selectors.Answer.NOT_OURS, selectors.Answer.FAKE}:
            logger.info("verify: %s %s checked", verdict.answer, verdict.contact.kind)
    return render(request, TEMPLATE, {"form": form, "result": verdict, "Answer": selectors.Answer})


@require_http_methods(["GET", "POST"])
def fake_report(request: HttpRequest) -> HttpResponse:
    """Report a contact that posed as us: filed for the security team as a ticket of its own."""
    if request.method == "GET":
        form = FakeReportForm(initial={"contact": request.GET.get("contact", "")[:200]})
        return render(request, REPORT_TEMPLATE, {"form": form})
    form = FakeReportForm(request.POST, request.FILES)
    if limited := rate_limit_hit(request, "fake_report"):
        form = form_rate_limited(form, limited, field="contact")
        return rate_limited_render(request, REPORT_TEMPLATE, {"form": form}, limited)
    if not form.is_valid():
        refusals_record(
            form.refusals,
            source=GuardEvent.Source.CONTACT_FORM,
            customer_email=form.cleaned_data.get("email", ""),
        )
        form.without_refused_text()
        return render(request, REPORT_TEMPLATE, {"form": form}, status=400)
    data = form.cleaned_data
    ticket = services.fake_report_file(
        contact=data["contact"],
        where_seen=data["where_seen"],
        details=data["details"],
        email=data["email"],
        language=get_language() or "en",
        screenshot=data["screenshot"],
    )
    flash.success(
        request,
        _("Thank you. Your report is ticket %(reference)s: our security team will look at it.")
        % {"reference": ticket.reference},
    )
    return redirect("livechat:verify")
