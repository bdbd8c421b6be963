"""Celery tasks of the live chat."""

from celery import shared_task

from livechat.models import Conversation
from mail.services import MAIL_RETRY, send_once
from tickets import emails


@shared_task(**MAIL_RETRY)
def send_transcript(self, conversation_id: int) -> None:
    """Mail the visitor the transcript of their chat."""
    conversation = Conversation.objects.select_related("ticket").filter(pk=conversation_id).first()
    if conversation is not None:
        send_once(self, lambda: emails.send_chat_transcript(conversation.ticket))
