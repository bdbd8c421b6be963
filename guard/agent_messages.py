"""The guard the other way round: what an agent may not send to a customer.

A compromised or impostor agent account is a scammer's best tool, so an agent's message to a
customer is stopped when it asks, in English or Chinese and however it is put, for a recovery
phrase (or "the 12 words you wrote down", a "backup"), a private key, a password or any one-time
code (SMS, e-mail, 2FA, "the 6-digit code"); when it asks the customer to install or open a
remote-access tool (AnyDesk, TeamViewer, ...) or to move funds to a "safe", "secure" or new
address; and when it links anywhere but the desk's official domains, with or without a scheme
(`t.me/...`, `wallet-verify.example/login`, an e-mail address), or names a handle (`@someone`)
that is not one of the official accounts. A sentence that says support will *never* ask for these
("we will never ask for your recovery phrase") passes: it is the warning the desk wants agents to
give. The text is folded first (guard.text), so look-alike letters and invisible characters do
not hide a word.

What it cannot catch: a request spread over sentences that each look harmless, or put in words
none of these patterns know; it is a net for the common scripts, not proof of intent.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from guard.text import fold

SECRETS_EN = (
    r"(?:recovery|seed|secret|backup|mnemonic|wallet)\s+(?:phrase|words?|key|file)s?|mnemonic|"
    r"private\s+keys?|keystore|seed|backup|"
    r"(?:\d{1,2}|twelve|eighteen|twenty[-\s]four|all(?:\s+the)?)\s+(?:secret\s+)?words|"
    r"words\s+(?:you|that\s+you)\s+(?:wrote|written|noted|saved|backed)|"
    r"pass(?:word|code|phrase)s?|pin(?:\s+code)?|2fa|two[-\s]factor|"
    r"one[-\s]time\s+(?:code|password|pin)|otp|"
    r"(?:sms|text|e-?mail|verification|authenticator|security|google|login|confirmation|"
    r"\d[-\s]digit|six[-\s]digit)\s+(?:codes?|numbers?|pins?)|"
    r"codes?\s+(?:you|we|that)\s+(?:just\s+)?(?:got|received|were\s+sent|sent)"
)
ASKS_EN = (
    r"send|give|tell|share|provide|enter|type|paste|write|confirm|verify|submit|show|read|"
    r"forward|dictate|upload|attach|reply\s+with|let\s+me\s+(?:know|see|have)|what\s+is|"
    r"what's|what\s+are|need|i\s+need|we\s+need|can\s+i\s+(?:have|get)|photo|picture|screenshot"
)
SECRETS_ZH = (
    r"助记词|记忆词|私钥|密钥|秘钥|密码|验证码|校验码|动态码|短信码|谷歌验证|二次验证|双重验证|"
    r"口令|PIN码?|恢复短语|种子|备份|单词|(?:\d{1,2}|十二|二十四)个(?:单词|词|字)|写下的"
)
ASKS_ZH = r"发|提供|告诉|输入|填写|给我|给我们|确认|验证|提交|说一下|念|读|拍|截图|需要|报一下"
NEGATIONS = re.compile(
    r"\b(?:never|not|don't|do\s+not|won't|will\s+not|no\s+one|nobody|no\s+need)\b|"
    r"绝不|不会|永远不|切勿|不要|不需要|请勿|不能|别",
    re.IGNORECASE,
)
ASKING = re.compile(
    rf"\b(?:{ASKS_EN})\b[^.?!\n]{{0,60}}?\b(?:{SECRETS_EN})\b|"
    rf"\b(?:{SECRETS_EN})\b[^.?!\n]{{0,40}}?\b(?:to\s+me|to\s+us|here|in\s+(?:this|the)\s+chat)\b|"
    rf"(?:{ASKS_ZH})[^。？！\n]{{0,20}}?(?:{SECRETS_ZH})|"
    # 把助记词发给我: the thing asked for, then the verb.
    rf"(?:{SECRETS_ZH})[^。？！\n]{{0,10}}?(?:发给|发送|发过来|提供|告诉|给我|输入|填写|念|读)",
    re.IGNORECASE,
)
REMOTE_ACCESS = re.compile(
    r"\b(?:any\s*desk|team\s*viewer|rust\s*desk|ultra\s*viewer|quick\s*support|ammyy|"
    r"splashtop|supremo|logmein|chrome\s+remote\s+desktop|remote\s+(?:access|desktop|control|"
    r"support\s+app)|screen\s*shar(?:e|ing))\b|向日葵|todesk|远程(?:控制|协助|桌面|操作)|屏幕共享",
    re.IGNORECASE,
)
SAFE_ADDRESS = re.compile(
    r"\b(?:send|transfer|move|withdraw|deposit)\b[^.?!\n]{0,50}?"
    r"\b(?:safe|secure|protected|new|backup|temporary|holding|verified|insured|official)\s+"
    r"(?:wallet|address|account|vault)\b|"
    r"(?:转|转移|转入|转到|提到|提币|充值|存入)[^。？！\n]{0,15}?"
    r"(?:安全|新的?|备用|保护|临时|保险|官方|验证)(?:的)?(?:钱包|地址|账户|账号)",
    re.IGNORECASE,
)
SENTENCE = re.compile(r"[^.?!。？！\n]+[.?!。？！]?")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'，。）)]+", re.IGNORECASE)
# A host without a scheme: a name with a dot and a path ("t.me/x", "wallet-verify.example/a"),
# or a bare name ending in a top-level domain scammers use.
BARE_HOST = re.compile(
    r"(?<![\w@./-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"(?:[a-z]{2,}(?=/)|com|net|org|io|me|app|xyz|co|info|top|cc|vip|site|online|link|live|"
    r"cn|ru|biz|pro|shop|club|tk|ml|ga|cf|gq|ly|to|gg|finance|exchange|wallet|support))"
    r"(?=[/:?#\s,;!)\]}\"'，。]|$)",
    re.IGNORECASE,
)
BARE_IP = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?=[/:])")
EMAIL_HOST = re.compile(r"[\w.+-]+@((?:[a-z0-9-]+\.)+[a-z]{2,})\b", re.IGNORECASE)
HANDLE = re.compile(r"(?<![\w@.])@([a-z0-9_]{3,32})\b(?!\.[a-z])", re.IGNORECASE)

ASKS_FOR_SECRET_MESSAGE = _(
    "Agents never ask customers for a recovery phrase, private key, password or one-time "
    "code. Rewrite the message without asking for it."
)
REMOTE_ACCESS_MESSAGE = _(
    "Agents never ask customers to install or open a remote-access tool, or to move funds to "
    "another address. Rewrite the message without it."
)
FOREIGN_LINK_MESSAGE = _(
    "Links to customers may only point to the official domains (%(domains)s). Remove %(link)s."
)
FOREIGN_HANDLE_MESSAGE = _(
    "Only the desk's official accounts may be named to customers. Remove %(handle)s."
)


def agent_message_problem(text: str) -> str | None:
    """Why an agent may not send `text` to a customer, or None when it may be sent."""
    folded = fold(text)
    for sentence in SENTENCE.findall(folded):
        if NEGATIONS.search(sentence):
            continue
        if ASKING.search(sentence):
            return str(ASKS_FOR_SECRET_MESSAGE)
        if REMOTE_ACCESS.search(sentence) or SAFE_ADDRESS.search(sentence):
            return str(REMOTE_ACCESS_MESSAGE)
    for link in _links(folded):
        if not _official(link):
            return str(FOREIGN_LINK_MESSAGE) % {
                "domains": ", ".join(official_domains()),
                "link": link,
            }
    accounts = {account.lower().lstrip("@") for account in settings.SUPPORT_OFFICIAL_ACCOUNTS}
    for match in HANDLE.finditer(folded):
        if match.group(1).lower() not in accounts:
            return str(FOREIGN_HANDLE_MESSAGE) % {"handle": match.group()}
    return None


def _links(text: str) -> list[str]:
    links = URL.findall(text)
    without_urls = URL.sub(" ", text)
    links += [f"https://{host}" for host in EMAIL_HOST.findall(without_urls)]
    bare = EMAIL_HOST.sub(" ", without_urls)
    links += [f"https://{host}" for host in BARE_HOST.findall(bare) + BARE_IP.findall(bare)]
    return links


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
