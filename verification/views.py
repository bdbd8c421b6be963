import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from guard.refusals import form_rate_limited
from security.ratelimit import rate_limit_hit, rate_limited_render
from verification import selectors
from verification.forms import VerifyForm

logger = logging.getLogger(__name__)
TEMPLATE = "livechat/verify.html"


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
            raw=form.cleaned_data["code"], agent_name=form.cleaned_data["agent_name"]
        )
        if verdict.answer in {selectors.Answer.NOT_OURS, selectors.Answer.FAKE}:
            logger.info("verify: %s %s checked", verdict.answer, verdict.contact.kind)
    return render(request, TEMPLATE, {"form": form, "result": verdict, "Answer": selectors.Answer})
