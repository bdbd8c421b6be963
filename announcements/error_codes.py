"""The codes of the announcements' refusals (`AnnouncementError`)."""

from enum import StrEnum


class AnnouncementErrorCode(StrEnum):
    EMPTY_BODY = "empty_body"
    AGENT_GUARD = "agent_guard"
