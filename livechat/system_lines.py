"""The lines the chat itself writes into a conversation, kept as a key and parameters so that each
reader sees them in their own language: the customer in their chat's, an agent in theirs."""

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from verification.services import KNOWN_FAKE_WARNING

SYSTEM_LINES = {
    "joined": _("%(name)s (agent code %(code)s) joined the chat."),
    "transferred_to_agent": _("The chat was transferred to %(name)s (agent code %(code)s)."),
    "transferred_to_team": _("The chat was transferred to another team."),
    "ended": _("The chat has ended."),
    "known_fake": KNOWN_FAKE_WARNING,
    "ended_unanswered": _(
        "You ended the chat before an agent joined. We keep your message as ticket "
        "%(reference)s and will answer by email."
    ),
    "unanswered": _(
        "No agent could take your chat in time, sorry. We keep it as ticket %(reference)s: "
        "write anything you want to add here, and we will answer by email."
    ),
}


def system_line(key: str, **params: str) -> dict:
    return {"key": key, "params": params}


def system_line_text(line: dict, *, language: str) -> str:
    """The line in a language; an unknown key (a line of a newer version) shows as nothing."""
    text = SYSTEM_LINES.get(line.get("key"))
    if text is None:
        return ""
    with translation.override(language):
        return str(text) % line.get("params", {})
