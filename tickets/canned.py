"""Agents' canned replies (settings.SUPPORT_CANNED_REPLIES): which fit a ticket, and how a reply
addresses a customer whose name the desk does not know."""

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import pgettext


def canned_reply_texts() -> list[Promise | str]:
    """Every canned reply's text, untranslated (the chat console renders each in every language)."""
    return [reply["text"] for reply in settings.SUPPORT_CANNED_REPLIES]


def canned_replies_for(*, problem_type: str, language: str) -> list[Promise | str]:
    """The canned replies offered for a ticket of `problem_type` written in `language`."""
    return [
        reply["text"]
        for reply in settings.SUPPORT_CANNED_REPLIES
        if problem_type in reply.get("problem_types", [problem_type])
        and _language_of(language) in reply.get("languages", [_language_of(language)])
    ]


def _language_of(code: str) -> str:
    return "zh-hans" if (code or "").lower().startswith("zh") else "en"


def customer_salutation(*, name: str, language: str) -> str:
    """What a reply calls the customer: their name, or a polite form in their language, never an
    email address or nothing."""
    name = (name or "").strip()
    if name and "@" not in name:
        return name
    with translation.override(language):
        return pgettext("how a reply addresses a customer without a name", "there")
