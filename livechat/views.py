import json
import logging
from uuid import uuid4

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agents.models import AgentProfile
from common.errors import DeskError
from guard.models import GuardEvent
from guard.refusals import form_rate_limited, refuse_secrets
from guard.services import refusals_record, secrets_refuse
from livechat import selectors, services
from livechat.consumers import VISITOR_SESSION_KEY
from livechat.error_codes import ChatErrorCode
from livechat.forms import ChatAttachmentForm, ChatRatingForm, ChatStartForm
from livechat.models import Conversation
from mail.services import mail_limited
from security.decorators import agent_required
from security.ratelimit import (
    rate_limit_hit,
    rate_limited_json,
    rate_limited_page,
    rate_limited_render,
)
from tickets.canned import canned_reply_texts
from tickets.held import ticket_hold
from tickets.models import ProblemType
from tickets.selectors import attachment_for_ticket, customer_recent_texts
from tickets.views import attachment_response

logger = logging.getLogger(__name__)


def visitor_key(request: HttpRequest) -> str:
    key = request.session.get(VISITOR_SESSION_KEY)
    if key is None:
        key = uuid4().hex
        request.session[VISITOR_SESSION_KEY] = key
    return key


def wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def own_conversation(request: HttpRequest, public_id: str) -> Conversation:
    """The visitor's own conversation; anyone else gets a 404. These pages act as the customer,
    so staff use the agent console instead, never these."""
    found = selectors.conversation_for_socket(
        public_id=public_id,
        visitor_key=request.session.get(VISITOR_SESSION_KEY),
        user=AnonymousUser(),
    )
    if found is None:
        raise Http404("no such conversation")
    return found[0]


@require_http_methods(["GET"])
def chat_page(request: HttpRequest) -> HttpResponse:
    context = {
        "form": ChatStartForm(initial={"problem_type": request.GET.get("type")}),
        "available": selectors.live_chat_available(),
    }
    return render(request, "livechat/start.html", context)


@require_POST
def chat_start(request: HttpRequest) -> HttpResponse:
    """Open a conversation (form or JSON), or file a ticket when nobody can answer."""
    limited = rate_limit_hit(request, "chat_start")
    if limited and wants_json(request):
        return rate_limited_json(limited)
    if request.content_type == "application/json":
        try:
            payload = json.loads(request.body or b"{}")
            data = QueryDict(mutable=True)
            data.update({key: str(value) for key, value in dict(payload).items()})
        except (ValueError, TypeError):
            return JsonResponse(
                {
                    "error": {
                        "code": ChatErrorCode.INVALID_JSON,
                        "message": _("Send a JSON object."),
                    }
                },
                status=400,
            )
    else:
        data = request.POST
    form = ChatStartForm(data)
    if limited:
        form = form_rate_limited(form, limited)
        context = {"form": form, "available": selectors.live_chat_available()}
        return rate_limited_render(request, "livechat/start.html", context, limited)
    if not form.is_valid():
        refusals_record(
            form.refusals,
            source=GuardEvent.Source.CHAT,
            customer_email=form.cleaned_data.get("email", ""),
        )
        if wants_json(request):
            code = ChatErrorCode.SECRET_REFUSED if form.refusals else ChatErrorCode.INVALID
            fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
            message = next(iter(fields.values()))[0]
            return JsonResponse(
                {"error": {"code": code, "message": message, "fields": fields}}, status=400
            )
        if form.refusals:
            form.data = form.data.copy()
            for refusal in form.refusals:
                form.data[refusal.field] = ""
        context = {"form": form, "available": selectors.live_chat_available()}
        return render(request, "livechat/start.html", context, status=400)
    result = services.conversation_start(
        name=form.cleaned_data["name"],
        email=form.cleaned_data["email"],
        problem_type=form.cleaned_data["problem_type"],
        message=form.cleaned_data["message"],
        visitor_key=visitor_key(request),
        language=get_language() or "en",
    )
    ticket_hold(request.session, ticket=result.ticket)
    if result.offline:
        message = _(
            "No agent is available right now, so your message became ticket %(reference)s. "
            "We sent the details to your email and will answer there."
        ) % {"reference": result.ticket.reference}
        if wants_json(request):
            return JsonResponse(
                {"ticket": result.ticket.reference, "offline": True, "message": message},
                status=202,
            )
        return render(request, "livechat/offline.html", {"message": message}, status=202)
    public_id = str(result.conversation.public_id)
    if wants_json(request):
        return JsonResponse({"conversation": public_id, "ws": f"/ws/chat/{public_id}/"}, status=201)
    return redirect("livechat:conversation", public_id=public_id)


@require_http_methods(["GET"])
def conversation_page(request: HttpRequest, public_id: str) -> HttpResponse:
    conversation = own_conversation(request, public_id)
    context = {
        "conversation": conversation,
        "history": selectors.messages_after(conversation=conversation, after=0),
        "status": selectors.status_payload(conversation),
        "rating_form": ChatRatingForm(),
        "attachment_form": ChatAttachmentForm(initial={"client_id": uuid4()}),
    }
    return render(request, "livechat/conversation.html", context)


@require_POST
def conversation_send(request: HttpRequest, public_id: str) -> HttpResponse:
    """The no-JavaScript way to write: a plain form post, then the page again."""
    conversation = own_conversation(request, public_id)
    body = (request.POST.get("body") or "").strip()
    if limited := rate_limit_hit(request, "chat_message"):
        # Nothing is counted for a refused attempt, but a secret is never sent back as a draft.
        url = reverse("livechat:conversation", args=[public_id])
        return rate_limited_page(
            request,
            limited,
            back_url=f"{url}#composer",
            resend_url=request.path,
            draft="" if refuse_secrets({"body": body}) else body,
        )
    if refusals := secrets_refuse(
        {"body": body},
        source=GuardEvent.Source.CHAT,
        ticket=conversation.ticket,
        previous=customer_recent_texts(ticket=conversation.ticket),
    ):
        flash.error(request, refusals[0].message)
    elif "\x00" in body:
        flash.error(request, _("That message holds a character that cannot be sent."))
    elif not body or len(body) > 4000:
        flash.error(request, _("Write a message of up to 4,000 characters."))
    else:
        try:
            services.chat_message_post(
                conversation=conversation,
                sender="customer",
                body=body,
                client_id=uuid4(),
            )
        except DeskError as error:
            flash.error(request, error.message)
    return redirect(reverse("livechat:conversation", args=[public_id]) + "#composer")


@require_POST
def conversation_attach(request: HttpRequest, public_id: str) -> HttpResponse:
    """A screenshot into the chat: from the messenger (JSON answer) or the plain page's form."""
    conversation = own_conversation(request, public_id)
    as_json = wants_json(request)
    back = reverse("livechat:conversation", args=[public_id]) + "#attach"
    if limited := rate_limit_hit(request, "chat_message"):
        if as_json:
            return rate_limited_json(limited)
        return rate_limited_page(request, limited, back_url=back)
    form = ChatAttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        message = next(iter(form.errors.values()))[0]
        if as_json:
            return JsonResponse(
                {"error": {"code": ChatErrorCode.INVALID, "message": message}}, status=400
            )
        flash.error(request, message)
        return redirect(back)
    try:
        message, _created = services.chat_attachment_post(
            conversation=conversation,
            attachment=form.cleaned_data["screenshot"],
            client_id=form.cleaned_data["client_id"] or uuid4(),
        )
    except DeskError as error:
        if as_json:
            return JsonResponse(
                {"error": {"code": error.code, "message": error.message}}, status=409
            )
        flash.error(request, error.message)
        return redirect(back)
    if as_json:
        message = selectors.messages_after(conversation=conversation, after=message.pk - 1)[0]
        return JsonResponse(message, status=201)
    return redirect(reverse("livechat:conversation", args=[public_id]) + "#composer")


@require_http_methods(["GET"])
def conversation_attachment(request: HttpRequest, public_id: str, attachment_id: int):
    """A chat attachment, for the conversation's visitor and the agents who may see its ticket
    (from a session that passed the second factor); anyone else gets a 404."""
    found = selectors.conversation_for_socket(
        public_id=public_id,
        visitor_key=request.session.get(VISITOR_SESSION_KEY),
        user=request.user,
        session=request.session,
    )
    attachment = found and attachment_for_ticket(
        ticket=found[0].ticket, attachment_id=attachment_id
    )
    if not attachment:
        raise Http404("no such attachment")
    return attachment_response(attachment)


@require_POST
def conversation_end(request: HttpRequest, public_id: str) -> HttpResponse:
    conversation = own_conversation(request, public_id)
    services.conversation_close(public_id=str(conversation.public_id))
    return redirect("livechat:conversation", public_id=public_id)


@require_POST
def conversation_rate(request: HttpRequest, public_id: str) -> HttpResponse:
    conversation = own_conversation(request, public_id)
    form = ChatRatingForm(request.POST)
    if form.is_valid():
        try:
            services.conversation_rate(
                conversation=conversation, rating=form.cleaned_data["rating"]
            )
            flash.success(request, _("Thank you for rating the chat."))
        except DeskError as error:
            flash.error(request, error.message)
    else:
        flash.error(request, _("Choose a rating from 1 to 5."))
    return redirect("livechat:conversation", public_id=public_id)


@require_POST
def conversation_transcript(request: HttpRequest, public_id: str) -> HttpResponse:
    """Email the transcript to the visitor's address on the ticket."""
    conversation = own_conversation(request, public_id)
    if limited := rate_limit_hit(request, "chat_transcript"):
        url = reverse("livechat:conversation", args=[public_id])
        return rate_limited_page(request, limited, back_url=url)
    if mail_limited(
        scope="chat_transcript",
        thing=f"conversation:{conversation.pk}",
        to=conversation.ticket.customer_email,
    ):
        url = reverse("livechat:conversation", args=[public_id])
        flash.error(
            request, _("We already emailed this transcript several times: please try later.")
        )
        return redirect(url)
    services.transcript_send(conversation=conversation)
    flash.success(request, _("We emailed the transcript to the address you gave."))
    return redirect("livechat:conversation", public_id=public_id)


@agent_required
def agent_console(request: HttpRequest) -> HttpResponse:
    if not selectors.may_open_console(request.user):
        raise PermissionDenied(_("The chat console is for agents of a team."))
    profile = AgentProfile.objects.filter(user=request.user).first()
    context = {
        "profile": profile,
        "canned_replies": canned_reply_texts(),
        "canned_languages": [code for code, _name in settings.LANGUAGES],
        "problem_types": dict(ProblemType.choices),
    }
    return render(request, "livechat/agent_console.html", context)
