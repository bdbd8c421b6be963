"""Agent codes: what a customer checks on /verify/ when someone says they are support.

A code is "WS-" and ten characters drawn at random from Crockford's base32 without 0/O, 1/I/L
and U (the ticket references' alphabet, so it reads aloud over the phone without mistakes): 30^10,
about 6 * 10^14 codes. At the `verify` rate limit (100 checks per address in 10 minutes), ten
thousand addresses trying for a year would try about 5 * 10^12 codes: under one chance in a
hundred of hitting any one agent's code, and a code alone names nobody anyway. Ten characters,
not a ticket reference's eight, so the two never look alike.
"""

import re
import secrets

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

AGENT_CODE_PREFIX = "WS-"
AGENT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
AGENT_CODE_LENGTH = 10
_ISSUED = re.compile(rf"{AGENT_CODE_PREFIX}[{AGENT_CODE_ALPHABET}]{{{AGENT_CODE_LENGTH}}}")


def agent_code_new() -> str:
    """A fresh code (the default of every new agent profile)."""
    body = "".join(secrets.choice(AGENT_CODE_ALPHABET) for _ in range(AGENT_CODE_LENGTH))
    return AGENT_CODE_PREFIX + body


def agent_code_is_issued_form(code: str) -> bool:
    """Whether a code has the issued form; the short codes typed before (WS-1024) do not."""
    return _ISSUED.fullmatch(code.strip().upper()) is not None


def validate_agent_code(value: str) -> None:
    if not agent_code_is_issued_form(value):
        raise ValidationError(
            _(
                "An agent code is WS- and %(length)d letters and digits without 0, O, 1, I, L "
                "or U, such as %(example)s: short codes can be guessed. Leave the code the "
                "desk issued."
            ),
            code="agent_code_short",
            params={"length": AGENT_CODE_LENGTH, "example": "WS-7K3M9QXD4P"},
        )
