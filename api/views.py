"""The in-app API's views: check the shape, run the site's own form rules, call one service."""

import logging
from uuid import uuid4

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api import selectors, serializers
from api.error_codes import ApiErrorCode
from api.errors import ApiError, RateLimitedError
from api.tokens import AppUser
from faq import selectors as faq_selectors
from faq import services as faq_services
from faq.forms import SearchForm
from faq.models import SearchLog
from guard.models import GuardEvent
from guard.refusals import Refusal
from guard.services import refusals_record, secrets_refuse
from livechat import services as chat_services
from livechat.forms import ChatStartForm
from security.ratelimit import rate_limit_hit_client
from tickets import selectors as ticket_selectors
from tickets import services as ticket_services
from tickets.forms import ContactForm, MultipleFileField, RatingForm, ReplyForm
from tickets.models import Channel, Status, Ticket
from tickets.problem_types import evidence_fields
from tickets.selectors import attachment_for_ticket, ticket_first_response_promise
from tickets.views import attachment_response
from verification import selectors as verification_selectors

logger = logging.getLogger(__name__)

ERRORS = {
    400: OpenApiResponse(serializers.ErrorSerializer, description="Refused input"),
    401: OpenApiResponse(serializers.ErrorSerializer, description="Missing or refused token"),
    404: OpenApiResponse(serializers.ErrorSerializer, description="Not one of your tickets"),
    409: OpenApiResponse(serializers.ErrorSerializer, description="Not in this ticket's state"),
    429: OpenApiResponse(serializers.ErrorSerializer, description="Rate limited: Retry-After"),
    503: OpenApiResponse(serializers.ErrorSerializer, description="API not enabled"),
}


def errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in (401, 503, *codes)}


def count_attempt(request: Request, scope: str) -> None:
    """The site's rate limits, with the token's subject in place of the web session."""
    limited = rate_limit_hit_client(
        scope,
        address=request.META.get("REMOTE_ADDR"),
        session_key=request.user.rate_limit_key,
    )
    if limited:
        raise RateLimitedError(limited)


def validated(serializer_class, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def form_errors(form, *, renamed: dict[str, str] | None = None) -> dict[str, list[str]]:
    renamed = renamed or {}
    return {
        ("non_field_errors" if name == "__all__" else renamed.get(name, name)): list(messages)
        for name, messages in form.errors.items()
    }


def refused(refusals: list[Refusal], fields: dict[str, list[str]]) -> ApiError:
    """A recovery phrase, private key or card number: refused, never echoed, nothing saved."""
    return ApiError(ApiErrorCode.SECRET_REFUSED, refusals[0].message, fields=fields)


def invalid(fields: dict[str, list[str]]) -> ApiError:
    message = next(iter(fields.values()))[0] if fields else _("The request is not valid.")
    return ApiError(ApiErrorCode.INVALID, message, fields=fields)


class AppUserView(GenericAPIView):
    # A view for the app's user: their own tickets only.

    @property
    def app_user(self) -> AppUser:
        return self.request.user

    def own_ticket(self, reference: str) -> Ticket:
        ticket = selectors.app_user_ticket(app_user=self.app_user, reference=reference)
        if ticket is None:
            logger.info("api: ticket reference refused for an app user")
            raise Http404("no such ticket")
        return ticket

    def ticket_response(self, ticket: Ticket, *, status_code: int = 200, **extra) -> Response:
        serializer_class = (
            serializers.TicketCreatedSerializer
            if "expected_first_response" in extra
            else serializers.TicketDetailSerializer
        )
        ticket.refresh_from_db()
        context = {"thread": selectors.ticket_thread(ticket=ticket), **extra}
        return Response(serializer_class(ticket, context=context).data, status=status_code)


REFERENCE = OpenApiParameter(
    "reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. WS-7K3M9QXD"
)


class TicketListView(AppUserView):
    serializer_class = serializers.TicketSummarySerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        return selectors.app_user_tickets(app_user=self.app_user).order_by("-created_at", "-id")

    @extend_schema(
        summary="Your tickets, newest first",
        responses={200: serializers.TicketSummarySerializer(many=True), **errors()},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="File a ticket",
        description=(
            "The same facts and checks as the contact form. The email and wallet account ID "
            "come from the token. Send `submission_key` to make a retry safe."
        ),
        request=serializers.TICKET_CREATE_SCHEMA,
        responses={
            201: serializers.TicketCreatedSerializer,
            200: OpenApiResponse(
                serializers.TicketCreatedSerializer,
                description="This submission_key was sent before: the ticket it filed",
            ),
            **errors(400, 409, 429),
        },
    )
    def post(self, request: Request) -> Response:
        count_attempt(request, "contact")
        data = validated(serializers.TicketCreateSerializer, request)
        problem_type = data["problem_type"]
        allowed = evidence_fields(problem_type)
        unknown = sorted(set(data["evidence"]) - set(allowed))
        if unknown:
            raise invalid(
                {f"evidence.{name}": [_("This problem type has no such fact.")] for name in unknown}
            )
        form = ContactForm(
            {
                **data["evidence"],
                "problem_type": problem_type,
                "submission_key": str(data["submission_key"] or uuid4()),
                "email": self.app_user.email,
                "wallet_account_id": self.app_user.wallet_account_id,
                "name": data["name"],
                "subject": data["subject"],
                "description": data["description"],
            },
            problem_type=problem_type,
        )
        if not form.is_valid():
            fields = form_errors(form, renamed={name: f"evidence.{name}" for name in allowed})
            if form.refusals:
                refusals_record(
                    form.refusals, source=GuardEvent.Source.API, customer_email=self.app_user.email
                )
                raise refused(form.refusals, fields)
            raise invalid(fields)
        cleaned = form.cleaned_data
        earlier = Ticket.objects.filter(submission_key=cleaned["submission_key"]).first()
        if earlier is not None:
            if (
                not selectors.app_user_tickets(app_user=self.app_user)
                .filter(pk=earlier.pk)
                .exists()
            ):
                raise ApiError(
                    ApiErrorCode.SUBMISSION_KEY_USED,
                    _("This submission key was already used. Send a new one."),
                    status=status.HTTP_409_CONFLICT,
                )
            return self.ticket_response(earlier, expected_first_response=self._expected(earlier))
        ticket = ticket_services.ticket_create(
            problem_type=problem_type,
            channel=Channel.IN_APP,
            subject=cleaned["subject"],
            description=cleaned["description"],
            customer_email=self.app_user.email,
            customer_name=cleaned["name"],
            wallet_account_id=self.app_user.wallet_account_id,
            evidence=form.evidence,
            transaction_hash=cleaned.get("transaction_hash", ""),
            transaction_network=cleaned.get("network", "")
            if cleaned.get("transaction_hash")
            else "",
            language=get_language() or "en",
            submission_key=cleaned["submission_key"],
        )
        return self.ticket_response(
            ticket, status_code=201, expected_first_response=self._expected(ticket)
        )

    @staticmethod
    def _expected(ticket: Ticket) -> str:
        return ticket_first_response_promise(ticket=ticket).text


class TicketDetailView(AppUserView):
    @extend_schema(
        summary="One of your tickets, with the conversation",
        parameters=[REFERENCE],
        responses={200: serializers.TicketDetailSerializer, **errors(404)},
    )
    def get(self, request: Request, reference: str) -> Response:
        return self.ticket_response(self.own_ticket(reference))


class TicketMessageView(AppUserView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        summary="Reply on your ticket",
        description="JSON, or multipart with up to 3 `attachments`. A resolved ticket reopens.",
        parameters=[REFERENCE],
        request=serializers.MessageCreateSerializer,
        responses={201: serializers.MessageSerializer, **errors(400, 404, 409, 429)},
    )
    def post(self, request: Request, reference: str) -> Response:
        ticket = self.own_ticket(reference)
        count_attempt(request, "ticket_reply")
        data = validated(serializers.MessageCreateSerializer, request)
        previous = ticket_selectors.customer_recent_texts(ticket=ticket)
        form = ReplyForm({"body": data["body"]}, request.FILES, previous_texts=previous)
        if not form.is_valid():
            if form.refusals:
                refusals_record(form.refusals, source=GuardEvent.Source.API, ticket=ticket)
                raise refused(form.refusals, form_errors(form))
            raise invalid(form_errors(form))
        return self._post(ticket, form.cleaned_data["body"], form.cleaned_data["attachments"])

    def _post(self, ticket: Ticket, body: str, attachments: list) -> Response:
        message = ticket_services.message_post_customer(
            ticket=ticket, body=body, attachments=attachments, channel=Channel.IN_APP
        )
        message = selectors.thread_message(message_id=message.pk)
        data = serializers.MessageSerializer(message, context={"ticket": ticket}).data
        return Response(data, status=status.HTTP_201_CREATED)


class TicketAttachmentUploadView(TicketMessageView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Send files on your ticket",
        description="1 to 3 PNG, JPEG or PDF files (checked from their content), with an "
        "optional `body`; they arrive as your message.",
        parameters=[REFERENCE],
        request={"multipart/form-data": serializers.AttachmentUploadSerializer},
        responses={201: serializers.MessageSerializer, **errors(400, 404, 409, 429)},
    )
    def post(self, request: Request, reference: str) -> Response:
        ticket = self.own_ticket(reference)
        count_attempt(request, "ticket_reply")
        data = validated(serializers.AttachmentUploadSerializer, request)
        if refusals := secrets_refuse(
            {"body": data["body"]},
            source=GuardEvent.Source.API,
            ticket=ticket,
            previous=ticket_selectors.customer_recent_texts(ticket=ticket),
        ):
            raise refused(refusals, {"body": [refusals[0].message]})
        try:
            attachments = MultipleFileField().clean(request.FILES.getlist("attachments"))
        except ValidationError as error:
            raise invalid({"attachments": list(error.messages)}) from None
        return self._post(ticket, data["body"], attachments)


class TicketAttachmentView(AppUserView):
    @extend_schema(
        summary="Download a file of your ticket",
        parameters=[REFERENCE],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as a download"
            ),
            **errors(404),
        },
    )
    def get(self, request: Request, reference: str, attachment_id: int) -> FileResponse:
        ticket = self.own_ticket(reference)
        found = attachment_for_ticket(ticket=ticket, attachment_id=attachment_id)
        if found is None:
            raise Http404("no such attachment")
        return attachment_response(found)

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # A download answers any Accept; a refusal is JSON like every other.
        return JSONRenderer(), JSONRenderer.media_type


class TicketRatingView(AppUserView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Rate the help on your resolved ticket",
        parameters=[REFERENCE],
        request=serializers.RatingSerializer,
        responses={200: serializers.TicketDetailSerializer, **errors(400, 404, 409, 429)},
    )
    def post(self, request: Request, reference: str) -> Response:
        ticket = self.own_ticket(reference)
        count_attempt(request, "ticket_reply")
        data = validated(serializers.RatingSerializer, request)
        form = RatingForm({"rating": str(data["rating"]), "comment": data["comment"]})
        if not form.is_valid():
            if refusals := secrets_refuse(
                {"comment": data["comment"]}, source=GuardEvent.Source.API, ticket=ticket
            ):
                raise refused(refusals, form_errors(form))
            raise invalid(form_errors(form))
        ticket_services.ticket_rate(
            ticket=ticket,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
        return self.ticket_response(ticket)


class TicketStatusView(AppUserView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Close or reopen your ticket",
        parameters=[REFERENCE],
        request=serializers.StatusChangeSerializer,
        responses={200: serializers.TicketDetailSerializer, **errors(400, 404, 409, 429)},
    )
    def post(self, request: Request, reference: str) -> Response:
        ticket = self.own_ticket(reference)
        count_attempt(request, "ticket_reply")
        data = validated(serializers.StatusChangeSerializer, request)
        ticket_services.ticket_change_status(ticket=ticket, status=data["status"])
        return self.ticket_response(ticket)


class FaqView(GenericAPIView):
    # The help centre is public on the site, so it needs no token here either: someone who
    # cannot sign in to the wallet needs its articles most.

    permission_classes = [AllowAny]


class FaqIndexView(FaqView):
    @extend_schema(
        summary="Help-centre categories and their articles, in the requested language",
        auth=[],
        responses={200: serializers.CategorySerializer(many=True), 503: ERRORS[503]},
    )
    def get(self, request: Request) -> Response:
        categories = faq_selectors.category_list()
        return Response(serializers.CategorySerializer(categories, many=True).data)


class FaqArticleView(FaqView):
    @extend_schema(
        summary="One help-centre article, as sanitised HTML",
        auth=[],
        responses={200: serializers.ArticleSerializer, 404: ERRORS[404], 503: ERRORS[503]},
    )
    def get(self, request: Request, slug: str) -> Response:
        article = faq_selectors.article_get(slug=slug)
        faq_services.article_record_view(article_id=article.pk)
        context = {
            "body_html": faq_selectors.article_body_html(article=article),
            "related": faq_selectors.article_related(article=article),
        }
        return Response(serializers.ArticleSerializer(article, context=context).data)


class FaqSearchView(FaqView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Search the help centre (Chinese or English, typos forgiven)",
        description=(
            "Post the query as JSON. The query is what the user typed, so it belongs in the body, "
            "never in an address that a proxy or a log keeps."
        ),
        auth=[],
        request=serializers.SearchQuerySerializer,
        responses={
            200: serializers.SearchResponseSerializer,
            400: ERRORS[400],
            503: ERRORS[503],
        },
    )
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        return self.search({"q": data["q"]} if isinstance(data.get("q"), str) else {})

    @extend_schema(
        summary="Search the help centre, with the query in the address (deprecated: post it)",
        description=(
            "Kept for apps that already use it; the server logs no query string, but a proxy in "
            "front of it may. Use POST."
        ),
        deprecated=True,
        auth=[],
        parameters=[serializers.SearchQuerySerializer],
        responses={
            200: serializers.SearchResponseSerializer,
            400: ERRORS[400],
            503: ERRORS[503],
        },
    )
    def get(self, request: Request) -> Response:
        return self.search(request.query_params)

    def search(self, data) -> Response:
        form = SearchForm(data)
        if not form.is_valid():
            if form.refusals:
                raise refused(form.refusals, form_errors(form))
            raise invalid(form_errors(form))
        query = form.cleaned_data["q"]
        outcome = faq_selectors.help_search(query=query)
        faq_services.search_record(
            query=query,
            language=get_language() or "",
            source=SearchLog.Source.API,
            result_count=len(outcome.results),
        )
        body = {"query": query, "warning": outcome.warning, "results": outcome.results}
        return Response(serializers.SearchResponseSerializer(body).data)


class VerifyView(GenericAPIView):
    # Public like /verify/: someone who was sent a fake "support" link may not be signed in.
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Is this contact really ours? Official, a known fake, or not ours",
        auth=[],
        request=serializers.VerifyRequestSerializer,
        responses={
            200: serializers.VerifyResponseSerializer,
            **{code: ERRORS[code] for code in (400, 429, 503)},
        },
    )
    def post(self, request: Request) -> Response:
        app_user = request.user if isinstance(request.user, AppUser) else None
        # Like the site: an app user counts as a session; a script without a token meets the
        # address's strict `fresh` limit as well as its generous one.
        limited = rate_limit_hit_client(
            "verify",
            address=request.META.get("REMOTE_ADDR"),
            session_key=app_user.rate_limit_key if app_user else None,
            fresh=app_user is None,
        )
        if limited is not None:
            raise RateLimitedError(limited)
        given = serializers.VerifyRequestSerializer(data=request.data)
        if not given.is_valid():
            raise invalid(given.errors)
        held = None
        if app_user is not None:
            held = selectors.app_user_tickets(app_user=app_user).exclude(status=Status.CLOSED)
        verdict = verification_selectors.contact_verify(
            raw=given.validated_data["contact"],
            agent_name=given.validated_data["agent_name"],
            held=held,
        )
        contact = verdict.contact
        body = {
            "answer": verdict.answer,
            "kind": contact.kind if contact else "",
            "platform": contact.platform if contact else "",
            "value": contact.value if contact else "",
            "description": verdict.description,
            "reported_at": verdict.reported_at,
            "resembles": verdict.resembles,
            "message": verification_selectors.verdict_message(verdict),
        }
        return Response(serializers.VerifyResponseSerializer(body).data)


class ChatStartView(AppUserView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Start a live chat",
        description=(
            "Opens a chat on a new ticket, then connect to `ws` with the token as a "
            "subprotocol (docs/api.md). With nobody available the message becomes a ticket "
            "(202)."
        ),
        request=serializers.ChatStartSerializer,
        responses={
            201: serializers.ChatStartedSerializer,
            202: serializers.ChatOfflineSerializer,
            **errors(400, 429),
        },
    )
    def post(self, request: Request) -> Response:
        count_attempt(request, "chat_start")
        data = validated(serializers.ChatStartSerializer, request)
        form = ChatStartForm({**data, "email": self.app_user.email})
        if not form.is_valid():
            if form.refusals:
                refusals_record(
                    form.refusals, source=GuardEvent.Source.API, customer_email=self.app_user.email
                )
                raise refused(form.refusals, form_errors(form))
            raise invalid(form_errors(form))
        result = chat_services.conversation_start(
            name=form.cleaned_data["name"],
            email=self.app_user.email,
            problem_type=form.cleaned_data["problem_type"],
            message=form.cleaned_data["message"],
            # The app's socket is authorized by its token, never by this key.
            visitor_key=uuid4().hex,
            language=get_language() or "en",
            # The wallet backend vouches for the token's address.
            email_verified=True,
        )
        if result.offline:
            message = _(
                "No agent is available right now, so your message became ticket %(reference)s. "
                "We will answer on the ticket and by email."
            ) % {"reference": result.ticket.reference}
            body = {"ticket": result.ticket.reference, "offline": True, "message": message}
            return Response(body, status=status.HTTP_202_ACCEPTED)
        public_id = str(result.conversation.public_id)
        body = {
            "conversation": public_id,
            "ws": f"/ws/chat/{public_id}/",
            "ticket": result.ticket.reference,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from our static files, started by a script file of its own (the page carries
    no inline code, as the content-security policy requires)."""

    template_name = "api/swagger_ui.html"
    template_name_js = "api/swagger_ui.js"
    url_name = "api:schema"
