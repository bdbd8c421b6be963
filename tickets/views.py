import logging

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common.errors import DeskError
from common.page_cache import page_lookup, page_store
from guard.models import GuardEvent
from guard.refusals import form_rate_limited
from guard.services import refusals_record
from mail.services import mail_limited
from security.ratelimit import (
    rate_limit_hit,
    rate_limited_page,
    rate_limited_render,
)
from tickets import selectors, services
from tickets.forms import ContactForm, NewLinkForm, RatingForm, ReplyForm, evidence_display
from tickets.held import ticket_hold
from tickets.links import (
    LinkExpired,
    email_proof_valid,
    ticket_from_token,
    ticket_private_url,
    ticket_token,
)
from tickets.models import Attachment, Channel, ProblemType, Status, Ticket

logger = logging.getLogger(__name__)


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "-")


def ticket_by_token_or_404(request: HttpRequest, token: str) -> Ticket:
    """The ticket of a private link; a forged or altered one shows nothing and is logged."""
    try:
        ticket = ticket_from_token(token)
    except LinkExpired:
        raise Http404("expired") from None
    if ticket is None:
        logger.warning("refused ticket link from %s", _client_address(request))
        raise Http404("no such ticket")
    return ticket


# ProblemType.values builds its list anew at each call (a few per cent of a cached form).
PROBLEM_TYPES = frozenset(ProblemType.values)


@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    # The empty form is the same for every visitor without a session but for its CSRF token and
    # submission key, which the page cache fills in afresh (common.page_cache).
    if cached := page_lookup(request, name="contact", choices={"type": PROBLEM_TYPES}):
        return cached.response(request)
    problem_type = request.POST.get("problem_type") or request.GET.get("type")
    if problem_type not in ProblemType.values:
        return page_store(
            request,
            render(request, "tickets/contact_choose.html", {"problem_types": ProblemType}),
        )
    if request.method == "GET":
        form = ContactForm(problem_type=problem_type)
        return page_store(request, render(request, "tickets/contact.html", {"form": form}))
    form = ContactForm(request.POST, request.FILES, problem_type=problem_type)
    if limited := rate_limit_hit(request, "contact"):
        form = form_rate_limited(form, limited, hash_fields={"transaction_hash"})
        return rate_limited_render(request, "tickets/contact.html", {"form": form}, limited)
    if not form.is_valid():
        refusals_record(
            form.refusals,
            source=GuardEvent.Source.CONTACT_FORM,
            customer_email=form.cleaned_data.get("email", ""),
        )
        form.without_refused_text()
        return render(request, "tickets/contact.html", {"form": form}, status=400)
    data = form.cleaned_data
    ticket = services.ticket_create(
        problem_type=problem_type,
        channel=Channel.WEB,
        subject=data["subject"],
        description=data["description"],
        customer_email=data["email"],
        customer_name=data["name"],
        wallet_account_id=data["wallet_account_id"],
        evidence=form.evidence,
        transaction_hash=data.get("transaction_hash", ""),
        transaction_network=data.get("network", "") if data.get("transaction_hash") else "",
        language=get_language() or "en",
        attachments=data["attachments"],
        submission_key=data["submission_key"],
        customer=request.user if request.user.is_authenticated else None,
    )
    ticket_hold(request.session, ticket=ticket)
    return redirect("tickets:submitted", token=ticket_token(ticket))


def submitted(request: HttpRequest, token: str) -> HttpResponse:
    ticket = ticket_by_token_or_404(request, token)
    ticket_hold(request.session, ticket=ticket)
    context = {
        "ticket": ticket,
        "ticket_url": request.build_absolute_uri(ticket_private_url(ticket)),
        "expected": selectors.ticket_first_response_promise(ticket=ticket).text,
        "notices": selectors.ticket_notices(ticket=ticket),
    }
    return render(request, "tickets/submitted.html", context)


def _detail_context(ticket: Ticket, token: str, **forms) -> dict:
    return {
        "ticket": ticket,
        "token": token,
        "thread": selectors.ticket_public_thread(ticket=ticket),
        "explorer_url": selectors.ticket_explorer_url(ticket=ticket),
        # The hash has its own line, with the explorer link: not a second time among the facts.
        "evidence_rows": evidence_display(
            ticket.problem_type,
            ticket.evidence,
            omit=frozenset({"transaction_hash"}) if ticket.transaction_hash else frozenset(),
        ),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "rating_form": forms.get("rating_form")
        or RatingForm(initial={"rating": ticket.satisfaction_rating}),
        "can_rate": ticket.status in {Status.RESOLVED, Status.CLOSED},
    }


def detail(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ticket = ticket_from_token(token)
    except LinkExpired:
        return render(request, "tickets/link_expired.html", {"form": NewLinkForm()}, status=410)
    if ticket is None:
        logger.warning("refused ticket link from %s", _client_address(request))
        raise Http404("no such ticket")
    if email_proof_valid(ticket, request.GET.get("proof", "")):
        services.ticket_email_verify(ticket=ticket)
    ticket_hold(request.session, ticket=ticket)
    return render(request, "tickets/detail.html", _detail_context(ticket, token))


def owned(request: HttpRequest, reference: str) -> HttpResponse:
    """A signed-in customer's own ticket, by reference; anyone else's shows nothing."""
    ticket = None
    if request.user.is_authenticated:
        ticket = Ticket.objects.filter(reference=reference, customer=request.user).first()
    if ticket is None:
        logger.warning("refused ticket reference from %s", _client_address(request))
        raise Http404("no such ticket")
    return redirect("tickets:detail", token=ticket_token(ticket))


@require_POST
def reply(request: HttpRequest, token: str) -> HttpResponse:
    ticket = ticket_by_token_or_404(request, token)
    if limited := rate_limit_hit(request, "ticket_reply"):
        form = ReplyForm(request.POST, request.FILES)
        form = form_rate_limited(form, limited, field="body")
        context = _detail_context(ticket, token, reply_form=form)
        return rate_limited_render(request, "tickets/detail.html", context, limited)
    previous = selectors.customer_recent_texts(ticket=ticket)
    form = ReplyForm(request.POST, request.FILES, previous_texts=previous)
    if not form.is_valid():
        refusals_record(form.refusals, source=GuardEvent.Source.REPLY, ticket=ticket)
        form.without_refused_text()
        context = _detail_context(ticket, token, reply_form=form)
        return render(request, "tickets/detail.html", context, status=400)
    try:
        services.message_post_customer(
            ticket=ticket,
            body=form.cleaned_data["body"],
            attachments=form.cleaned_data["attachments"],
        )
    except DeskError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Your reply was sent. We will answer on this page and by email.")
        )
    return redirect(reverse("tickets:detail", args=[token]) + "#thread")


@require_POST
def change_status(request: HttpRequest, token: str, action: str) -> HttpResponse:
    ticket = ticket_by_token_or_404(request, token)
    status = {"close": Status.CLOSED, "reopen": Status.OPEN}.get(action)
    if status is None:
        raise Http404("unknown action")
    if limited := rate_limit_hit(request, "ticket_reply"):
        return rate_limited_page(request, limited, back_url=reverse("tickets:detail", args=[token]))
    try:
        services.ticket_change_status(ticket=ticket, status=status)
    except DeskError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Your ticket is closed. Thank you.")
            if status == Status.CLOSED
            else _("Your ticket is open again. Tell us what is still wrong."),
        )
    return redirect("tickets:detail", token=token)


@require_POST
def rate(request: HttpRequest, token: str) -> HttpResponse:
    ticket = ticket_by_token_or_404(request, token)
    form = RatingForm(request.POST)
    if limited := rate_limit_hit(request, "ticket_reply"):
        form = form_rate_limited(form, limited, field="rating")
        context = _detail_context(ticket, token, rating_form=form)
        return rate_limited_render(request, "tickets/detail.html", context, limited)
    if not form.is_valid():
        refusals_record(form.refusals, source=GuardEvent.Source.REPLY, ticket=ticket)
        context = _detail_context(ticket, token, rating_form=form.without_refused_text())
        return render(request, "tickets/detail.html", context, status=400)
    try:
        services.ticket_rate(
            ticket=ticket, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
        )
    except DeskError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you for rating our help."))
    return redirect(reverse("tickets:detail", args=[token]) + "#rating")


def attachment(request: HttpRequest, token: str, attachment_id: int) -> FileResponse:
    """A customer's own attachment, through the private link only, always as a download."""
    ticket = ticket_by_token_or_404(request, token)
    found = selectors.attachment_for_ticket(ticket=ticket, attachment_id=attachment_id)
    if found is None:
        raise Http404("no such attachment")
    return attachment_response(found)


def attachment_response(found: Attachment) -> FileResponse:
    """A stored file, always as a download under its checked name, never rendered inline."""
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.name,
        content_type=found.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
def new_link(request: HttpRequest) -> HttpResponse:
    """Send a fresh private link when reference and email match; the page never says whether."""
    form = NewLinkForm(request.POST or None)
    if request.method == "POST" and (limited := rate_limit_hit(request, "new_link")):
        form = form_rate_limited(form, limited)
        return rate_limited_render(request, "tickets/link_expired.html", {"form": form}, limited)
    if request.method == "POST" and form.is_valid():
        ticket = Ticket.objects.filter(
            reference=form.cleaned_data["reference"].strip().upper(),
            customer_email__iexact=form.cleaned_data["email"],
        ).first()
        if ticket is not None and not mail_limited(
            scope="ticket_link", thing=f"ticket:{ticket.pk}", to=ticket.customer_email
        ):
            services.ticket_send_link(ticket=ticket)
        else:
            logger.warning("new ticket link refused from %s", _client_address(request))
        messages.success(
            request,
            _("If the reference and email match a ticket, we have sent a new link to that email."),
        )
        return redirect("tickets:new_link")
    return render(request, "tickets/link_expired.html", {"form": form})
