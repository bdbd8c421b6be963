"""The guard the other way round: what an agent may not send to a customer.

A compromised or impostor agent account is a scammer's best tool, so an agent's message to a
customer is stopped when it asks for a recovery phrase, a private key, a password or a one-time
code, or links anywhere but the desk's official domains. A sentence that says support will
*never* ask for these ("we will never ask for your recovery phrase") passes: it is the warning
the desk wants agents to give.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

SECRETS_EN = (
    r"(?:recovery|seed|secret|backup|mnemonic)\s+(?:phrase|words?)|mnemonic|private\s+keys?|"
    r"pass(?:word|code|phrase)s?|pin(?:\s+code)?|2fa|two[-\s]factor|one[-\s]time\s+(?:code|password)|"
    r"otp|(?:sms|verification|authenticator|security|google)\s+codes?"
)
ASKS_EN = (
    r"send|give|tell|share|provide|enter|type|paste|write|confirm|verify|submit|show|"
    r"read\s+out|let\s+me\s+know|what\s+is|what's"
)
SECRETS_ZH = r"助记词|私钥|密钥|密码|验证码|谷歌验证|二次验证|双重验证|动态码|口令|PIN码?"
ASKS_ZH = r"发|提供|告诉|输入|填写|给我|给我们|确认|验证|提交|说一下|念|需要"
NEGATIONS = re.compile(
    r"\b(?:never|not|don't|do\s+not|won't|will\s+not|no\s+one|nobody|no\s+need)\b|"
    r"绝不|不会|永远不|切勿|不要|不需要|请勿|不能|别",
    re.IGNORECASE,
)
ASKING = re.compile(
    rf"\b(?:{ASKS_EN})\b[^.?!\n]{{0,60}}?\b(?:{SECRETS_EN})\b|"
    rf"(?:{ASKS_ZH})[^。？！\n]{{0,20}}?(?:{SECRETS_ZH})|"
    # 把助记词发给我: the thing asked for, then the verb.
    rf"(?:{SECRETS_ZH})[^。？！\n]{{0,10}}?(?:发给|发送|发过来|提供|告诉|给我|输入|填写)",
    re.IGNORECASE,
)
SENTENCE = re.compile(r"[^.?!。？！\n]+[.?!。？！]?")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'，。）)]+", re.IGNORECASE)

ASKS_FOR_SECRET_MESSAGE = _(
    "Agents never ask customers for a recovery phrase, private key, password or one-time "
    "code. Rewrite the message without asking for it."
)
FOREIGN_LINK_MESSAGE = _(
    "Links to customers may only point to the official domains (%(domains)s). Remove %(link)s."
)


def agent_message_problem(text: str) -> str | None:
    """Why an agent may not send `text` to a customer, or None when it may be sent."""
    for sentence in SENTENCE.findall(text):
        if ASKING.search(sentence) and not NEGATIONS.search(sentence):
            return str(ASKS_FOR_SECRET_MESSAGE)
    for link in URL.findall(text):
        if not _official(link):
            return str(FOREIGN_LINK_MESSAGE) % {
                "domains": ", ".join(official_domains()),
                "link": link,
            }
    return None


def official_domains() -> list[str]:
    domains = [domain.lower() for domain in settings.SUPPORT_OFFICIAL_DOMAINS]
    site = urlsplit(settings.SUPPORT_SITE_URL).hostname
    if site and site.lower() not in domains:
        domains.append(site.lower())
    return domains


def _official(link: str) -> bool:
    if link.lower().startswith("www."):
        link = f"https://{link}"
    host = (urlsplit(link).hostname or "").lower().rstrip(".")
    return any(host == domain or host.endswith(f".{domain}") for domain in official_domains())
