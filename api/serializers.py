"""The API's JSON shapes. Requests are checked for shape here; the rules of the site's own forms
(tickets/forms.py, livechat/forms.py) then run on them, so the app and the site accept the same."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from agents.selectors import agent_identity
from chain.selectors import ticket_customer_status
from common.forms import CHOOSE_OFFERED
from faq.models import Article, Category
from tickets.forms import (
    DESCRIPTION_MAX_LENGTH,
    evidence_display,
)
from tickets.models import Attachment, Message, ProblemType, Status, Ticket
from tickets.problem_types import evidence_fields
from tickets.selectors import ticket_explorer_url
from tickets.validators import MAX_ATTACHMENTS, validate_description_length

# --- requests --------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class EvidenceValueField(serializers.Field):
    """One fact of the evidence: text, or a number (sent on as text to the form's checks)."""

    default_error_messages = {"invalid": _("Send text or a number.")}

    def to_internal_value(self, data: object) -> str:
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        return str(data)

    def to_representation(self, value: object) -> object:
        return value


def evidence_names() -> set[str]:
    """Every fact any problem type asks for: the only keys `evidence` may hold."""
    return {name for problem_type in ProblemType.values for name in evidence_fields(problem_type)}


class EvidenceField(serializers.DictField):
    """The evidence's facts by name. A key that is no fact's name is refused without being named:
    DRF would report its value's error under `evidence.<key>`, and a key can hold anything a user
    pasted. A known fact that this problem type does not ask for is refused by the view."""

    default_error_messages = {"unknown_fact": _("This problem type has no such fact.")}

    def __init__(self, **kwargs) -> None:
        super().__init__(child=EvidenceValueField(), **kwargs)

    def to_internal_value(self, data: object) -> dict:
        if isinstance(data, dict) and not {str(key) for key in data} <= evidence_names():
            self.fail("unknown_fact")
        return super().to_internal_value(data)


class OfferedChoiceField(serializers.ChoiceField):
    """A choice whose error never repeats the value sent: the app shows the message, and the
    value could be a recovery phrase pasted into the wrong box (the site's forms do the same)."""

    default_error_messages = {"invalid_choice": CHOOSE_OFFERED}


class TicketCreateSerializer(serializers.Serializer):
    """What every new ticket has; `evidence` holds the facts its problem type needs."""

    problem_type = OfferedChoiceField(choices=ProblemType.choices)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, validators=[validate_description_length]
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    submission_key = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Your own id for this submission: sending it again files one ticket."),
    )
    evidence = EvidenceField(required=False, default=dict)


def _evidence_serializer_field(field: forms.Field) -> serializers.Field:
    """The form field as a serializer field, for the schema (the form itself does the checks)."""
    common = {"required": field.required, "help_text": str(field.help_text or field.label)}
    if isinstance(field, forms.ChoiceField):
        offered = [(value, label) for value, label in field.choices if value != ""]
        return OfferedChoiceField(choices=offered, **common)
    if isinstance(field, forms.DateTimeField):
        return serializers.DateTimeField(**common)
    if isinstance(field, forms.DateField):
        return serializers.DateField(**common)
    if isinstance(field, forms.DecimalField):
        return serializers.DecimalField(
            max_digits=field.max_digits, decimal_places=field.decimal_places, **common
        )
    return serializers.CharField(
        max_length=field.max_length, allow_blank=not field.required, **common
    )


def _type_name(problem_type: str) -> str:
    return "".join(part.title() for part in problem_type.split("_"))


def _ticket_create_variant(problem_type: str) -> type[serializers.Serializer]:
    """The create request of one problem type, with its evidence spelled out (schema only)."""
    name = _type_name(problem_type)
    fields: dict[str, serializers.Field] = {
        "problem_type": OfferedChoiceField(choices=[problem_type]),
        "subject": serializers.CharField(max_length=200),
        "description": serializers.CharField(
            max_length=DESCRIPTION_MAX_LENGTH, validators=[validate_description_length]
        ),
        "name": serializers.CharField(max_length=100, required=False, allow_blank=True),
        "submission_key": serializers.UUIDField(required=False, allow_null=True),
    }
    evidence = evidence_fields(problem_type)
    if evidence:
        evidence_class = type(
            f"{name}Evidence",
            (serializers.Serializer,),
            {key: _evidence_serializer_field(field) for key, field in evidence.items()},
        )
        fields["evidence"] = evidence_class()
    return type(f"{name}TicketCreate", (serializers.Serializer,), fields)


TICKET_CREATE_SCHEMA = PolymorphicProxySerializer(
    component_name="TicketCreate",
    serializers={code: _ticket_create_variant(code) for code in ProblemType.values},
    resource_type_field_name="problem_type",
)


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH)
    attachments = serializers.ListField(
        child=serializers.FileField(),
        max_length=MAX_ATTACHMENTS,
        required=False,
        help_text=_("Up to 3 PNG, JPEG or PDF files of 5 MB each (multipart requests only)."),
    )


class AttachmentUploadSerializer(serializers.Serializer):
    attachments = serializers.ListField(
        child=serializers.FileField(),
        min_length=1,
        max_length=MAX_ATTACHMENTS,
        help_text=_("1 to 3 PNG, JPEG or PDF files of 5 MB each."),
    )
    body = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class RatingSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class StatusChangeSerializer(serializers.Serializer):
    status = OfferedChoiceField(
        choices=[(Status.CLOSED, Status.CLOSED.label), (Status.OPEN, _("Reopen"))],
        help_text=_("closed: the problem is solved; open: reopen a resolved or closed ticket."),
    )


class ChatStartSerializer(serializers.Serializer):
    problem_type = OfferedChoiceField(choices=ProblemType.choices)
    message = serializers.CharField(max_length=4000)
    name = serializers.CharField(max_length=60)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=500)


# --- responses -------------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "url"]

    def get_url(self, attachment: Attachment) -> str:
        return reverse(
            "api:ticket-attachment",
            args=[self.context["ticket"].reference, attachment.pk],
        )


class MessageSerializer(serializers.ModelSerializer):
    sender = serializers.CharField(source="author_kind")
    author = serializers.SerializerMethodField()
    agent_code = serializers.SerializerMethodField(
        help_text=_("The agent's official code: check it on the site's /verify/ page.")
    )
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "sender", "author", "agent_code", "body", "channel", "created_at"]
        fields += ["attachments"]

    def get_author(self, message: Message) -> str | None:
        if message.author_kind == "agent" and message.author_id:
            return agent_identity(message.author)[0]
        return None

    def get_agent_code(self, message: Message) -> str | None:
        if message.author_kind == "agent" and message.author_id:
            return agent_identity(message.author)[1]
        return None


class TicketSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["reference", "subject", "problem_type", "status", "channel"]
        fields += ["created_at", "updated_at", "satisfaction_rating"]


class EvidenceRowSerializer(serializers.Serializer):
    question = serializers.CharField()
    answer = serializers.CharField()


class TransactionArticleSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.CharField()


class TransactionStatusSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["checking", "unavailable", "not_found", "pending", "confirmed", "failed"]
    )
    final = serializers.BooleanField()
    confirmations = serializers.IntegerField()
    to_address = serializers.CharField(allow_null=True)
    message = serializers.CharField()
    article = TransactionArticleSerializer(allow_null=True)


class TicketDetailSerializer(TicketSummarySerializer):
    evidence = serializers.DictField(child=EvidenceValueField(allow_null=True))
    evidence_display = serializers.SerializerMethodField()
    explorer_url = serializers.SerializerMethodField()
    transaction_status = serializers.SerializerMethodField(
        help_text=_(
            "What the network says about the ticket's transaction; null when the desk does not "
            "check its network."
        )
    )
    can_rate = serializers.SerializerMethodField()
    messages = serializers.SerializerMethodField()

    class Meta(TicketSummarySerializer.Meta):
        fields = [*TicketSummarySerializer.Meta.fields, "customer_name", "wallet_account_id"]
        fields += ["transaction_hash", "transaction_network", "satisfaction_comment"]
        fields += ["evidence", "evidence_display", "explorer_url", "can_rate", "messages"]
        fields += ["transaction_status"]

    @extend_schema_field(EvidenceRowSerializer(many=True))
    def get_evidence_display(self, ticket: Ticket) -> list[dict]:
        rows = evidence_display(ticket.problem_type, ticket.evidence)
        return [{"question": question, "answer": answer} for question, answer in rows]

    def get_explorer_url(self, ticket: Ticket) -> str | None:
        return ticket_explorer_url(ticket=ticket)

    @extend_schema_field(TransactionStatusSerializer(allow_null=True))
    def get_transaction_status(self, ticket: Ticket) -> dict | None:
        status = ticket_customer_status(ticket=ticket)
        return status.as_json() if status is not None else None

    def get_can_rate(self, ticket: Ticket) -> bool:
        return ticket.status in {Status.RESOLVED, Status.CLOSED}

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, ticket: Ticket) -> list[dict]:
        thread = self.context["thread"]
        return MessageSerializer(thread, many=True, context={"ticket": ticket}).data


class TicketCreatedSerializer(TicketDetailSerializer):
    expected_first_response = serializers.SerializerMethodField(
        help_text=_("When the desk expects to answer, as the customer reads it.")
    )

    class Meta(TicketDetailSerializer.Meta):
        fields = [*TicketDetailSerializer.Meta.fields, "expected_first_response"]

    def get_expected_first_response(self, ticket: Ticket) -> str:
        return self.context["expected_first_response"]


class ArticleSummarySerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    title = serializers.CharField()
    summary = serializers.CharField()
    url = serializers.CharField(source="get_absolute_url")

    class Meta:
        model = Article
        fields = ["slug", "category", "title", "summary", "url"]


class ArticleSerializer(ArticleSummarySerializer):
    body_html = serializers.SerializerMethodField(
        help_text=_("The article as sanitised HTML, in the requested language.")
    )
    related = serializers.SerializerMethodField()

    class Meta(ArticleSummarySerializer.Meta):
        fields = [*ArticleSummarySerializer.Meta.fields, "updated_at", "body_html", "related"]

    def get_body_html(self, article: Article) -> str:
        return self.context["body_html"]

    @extend_schema_field(ArticleSummarySerializer(many=True))
    def get_related(self, article: Article) -> list[dict]:
        return ArticleSummarySerializer(self.context["related"], many=True).data


class CategorySerializer(serializers.ModelSerializer):
    title = serializers.CharField()
    description = serializers.CharField()
    articles = ArticleSummarySerializer(
        source="published_articles",
        many=True,
        help_text=_("The category's first articles in editorial order (at most eight)."),
    )
    article_count = serializers.IntegerField(
        source="published_count", help_text=_("How many published articles the category has.")
    )

    class Meta:
        model = Category
        fields = ["slug", "icon", "title", "description", "articles", "article_count"]


class SearchResultSerializer(serializers.Serializer):
    slug = serializers.CharField(source="article.slug")
    category = serializers.CharField(source="article.category.slug")
    title = serializers.CharField(source="article.title")
    url = serializers.CharField(source="article.get_absolute_url")
    snippet = serializers.CharField(
        help_text=_("An excerpt as HTML: escaped text with the matched words in <mark>.")
    )


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    warning = serializers.CharField(
        allow_null=True,
        help_text=_("Set when the search looks like someone posing as support: show it."),
    )
    results = SearchResultSerializer(many=True)


class ChatStartedSerializer(serializers.Serializer):
    conversation = serializers.UUIDField()
    ws = serializers.CharField(help_text=_("The socket's path: open it with the token."))
    ticket = serializers.CharField(help_text=_("The reference of the chat's ticket."))


class ChatOfflineSerializer(serializers.Serializer):
    ticket = serializers.CharField()
    offline = serializers.BooleanField()
    message = serializers.CharField()


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Stable: act on this, not on the message."))
    message = serializers.CharField(help_text=_("For the user, in the requested language."))
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
    retry_after = serializers.IntegerField(required=False)


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class VerifyRequestSerializer(serializers.Serializer):
    contact = serializers.CharField(
        max_length=200,
        help_text="What the customer was given: an agent code, ticket reference, web address, "
        "social handle (@name, t.me/name, x.com/name), phone number, email or wallet address.",
    )
    agent_name = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        help_text="For an agent code: the name the customer was given. A code alone is never "
        "confirmed, and no name is ever returned for a code.",
    )


class VerifyResponseSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(
        choices=[
            "official", "fake", "not_ours", "agent", "agent_name_needed", "agent_yours",
            "agent_not_yours", "ticket", "unreadable"
        ]
    )  # fmt: skip
    kind = serializers.CharField(allow_blank=True, help_text="How the contact was read.")
    platform = serializers.CharField(allow_blank=True)
    value = serializers.CharField(allow_blank=True, help_text="The contact as normalised.")
    description = serializers.CharField(allow_blank=True, help_text="What an official one is.")
    reported_at = serializers.DateTimeField(allow_null=True, help_text="For a known fake.")
    resembles = serializers.CharField(
        allow_blank=True, help_text="For a look-alike: the official contact it imitates."
    )
    message = serializers.CharField(help_text="The answer in the requested language.")
