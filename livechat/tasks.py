"""Celery tasks of the live chat."""

from celery import shared_task

from livechat import services
from livechat.models import Conversation
from mail.services import MAIL_RETRY, send_once
from tickets import emails


@shared_task(**MAIL_RETRY)
def send_transcript(self, conversation_id: int) -> None:
    """Mail the visitor the transcript of their chat."""
    conversation = Conversation.objects.select_related("ticket").filter(pk=conversation_id).first()
    if conversation is not None:
        send_once(self, lambda: emails.send_chat_transcript(conversation.ticket))


@shared_task
def expire_waiting_chats() -> int:
    """On beat: chats that waited too long become messages (livechat.services)."""
    return services.chats_expire_waiting()


@shared_task(**MAIL_RETRY)
def alert_unanswered_chat(self, conversation_id: int) -> None:
    """Mail the team leads of a security chat that nobody took in time."""
    conversation = (
        Conversation.objects.select_related("ticket__team").filter(pk=conversation_id).first()
    )
    if conversation is not None:
        ticket = conversation.ticket
        send_once(self, lambda: emails.send_escalation(ticket, template="chat_unanswered"))
