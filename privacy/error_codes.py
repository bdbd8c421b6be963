"""The codes of the data requests' refusals (`PrivacyError`)."""

from enum import StrEnum


class PrivacyErrorCode(StrEnum):
    INVALID_KIND = "invalid_kind"
    NOT_CONFIRMED = "not_confirmed"
    NOT_OPEN = "not_open"
