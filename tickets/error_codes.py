"""The codes of the ticket desk's refusals (`TicketError`): the API sends them as they are, so
a value here never changes (docs/api.md)."""

from enum import StrEnum


class TicketErrorCode(StrEnum):
    CLOSED = "closed"
    EMPTY = "empty"
    AGENT_GUARD = "agent_guard"
    STALE = "stale"
    INVALID_TRANSITION = "invalid_transition"
    MERGE_NOTHING = "merge_nothing"
    MERGE_ALL_SOLVED = "merge_all_solved"
    MERGE_OTHER_CUSTOMER = "merge_other_customer"
    MERGE_CHAT = "merge_chat"
    NOT_RESOLVED = "not_resolved"
    INVALID_RATING = "invalid_rating"
