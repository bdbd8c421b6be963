"""The desk's one application error: every refusal a person should read carries a message in
their language and a stable code (an enum kept next to its domain, as `tickets.error_codes`)."""

from enum import StrEnum


class DeskError(Exception):
    """A request the desk refuses, with a message for the person who made it."""

    def __init__(self, message: str, *, code: StrEnum | str) -> None:
        super().__init__(message)
        self.message = message
        self.code = str(code)
