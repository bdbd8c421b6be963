"""Celery tasks of the live chat."""

from celery import shared_task

from livechat.models import Conversation
from tickets import emails
from tickets.tasks import MAIL_RETRY, _send_once


@shared_task(**MAIL_RETRY)
def send_transcript(self, conversation_id: int) -> None:
    """Mail the visitor the transcript of their chat."""
    conversation = Conversation.objects.select_related("ticket").filter(pk=conversation_id).first()
    if conversation is not None:
        _send_once(self, lambda: emails.send_chat_transcript(conversation.ticket))
