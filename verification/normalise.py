"""What a customer types when they check a contact, read the one way the lists are stored.

Every contact is folded first (guard.text.fold: invisible characters dropped, full-width forms
and Cyrillic or Greek look-alikes made Latin), so "WS－1024" from a Chinese input method, an
"аpple" with a Cyrillic "а" and a full-width phone number read as what they look like.
`skeleton` goes further, for look-alikes only: it also maps the digits and letter pairs that pass
for others ("0" for "o", "1" and "I" for "l", "rn" for "m") and drops separators.
"""

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna
import phonenumbers
from django.conf import settings

from agents.codes import AGENT_CODE_PREFIX
from guard.text import fold

# Dashes a keyboard or an input method may produce in place of "-".
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u30fc\ufe58\ufe63_\s.]+")
# "WS-" and its characters, which may come in groups ("WS-7K3M 9QXD 4P", read aloud or copied
# from a card); without "WS" a code is one group ("1024").
_CODE = re.compile(r"WS-*([A-Z0-9]+(?:-[A-Z0-9]+)*)|-*([A-Z0-9]+)")
_CODE_CHARS = range(3, 13)
_SEPARATORS = re.compile(r"[\s\-_.]+")
_SKELETON_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_SKELETON_CHARS = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "3": "e"})

PLATFORMS = ("telegram", "x", "wechat", "weibo", "discord")
# Hosts whose first path segment is the account: t.me/name, x.com/name, weibo.com/name.
_PLATFORM_HOSTS = {
    "t.me": "telegram",
    "telegram.me": "telegram",
    "telegram.dog": "telegram",
    "x.com": "x",
    "twitter.com": "x",
    "mobile.twitter.com": "x",
    "weibo.com": "weibo",
    "m.weibo.cn": "weibo",
    "weibo.cn": "weibo",
    "discord.gg": "discord",
    "discord.com": "discord",
    "discordapp.com": "discord",
}
_HANDLE = re.compile(r"[@＠]?([\w.\-]{2,64})(?:#\d{4})?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ETH_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_BASE58_ADDRESS = re.compile(r"[13TL][1-9A-HJ-NP-Za-km-z]{25,40}|bc1[02-9ac-hj-np-z]{11,71}")


class Kind:
    AGENT_CODE = "agent_code"
    DOMAIN = "domain"
    HANDLE = "handle"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"


@dataclass(frozen=True)
class Contact:
    """A contact as the lists store it: its kind, platform (handles only) and normalised value."""

    kind: str
    value: str
    platform: str = ""


def cleaned(raw: str) -> str:
    """Folded (guard.text.fold): for codes and numbers, where a look-alike letter means the same."""
    return fold(raw).strip()


def plain(raw: str) -> str:
    """NFKC without the format characters, and nothing more: for domains, handles and emails,
    whose look-alike letters make another contact (told apart by `skeleton`)."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(char for char in text if unicodedata.category(char) != "Cf").strip()


def skeleton(text: str) -> str:
    """The text reduced to how it looks: for telling look-alikes, never for storing."""
    text = unicodedata.normalize("NFKD", cleaned(text).lower())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = _SEPARATORS.sub("", text)
    for pair, single in _SKELETON_PAIRS:
        text = text.replace(pair, single)
    return text.translate(_SKELETON_CHARS)


def agent_code_normalise(raw: str) -> str | None:
    """ "WS-1024", "ws 1024", "WS1024", "1024" and "WS－1024" all read "WS-1024";
    "ws-7k3m 9qxd 4p" reads "WS-7K3M9QXD4P"."""
    text = _DASHES.sub("-", cleaned(raw).upper()).strip("-")
    match = _CODE.fullmatch(text)
    if match is None:
        return None
    body = (match.group(1) or match.group(2)).replace("-", "")
    if len(body) not in _CODE_CHARS:
        return None
    return AGENT_CODE_PREFIX + body


def domain_normalise(raw: str) -> str | None:
    """The host of a web address or domain as a browser would visit it (IDNA UTS 46: case and
    full-width forms mapped, punycode decoded for display), without "www."."""
    text = plain(raw)
    if "://" not in text:
        text = "//" + text
    try:
        host = (urlsplit(text).hostname or "").rstrip(".")
    except ValueError:
        return None
    if "." not in host or not re.fullmatch(r"[^\s/@:]+", host):
        return None
    try:
        host = idna.decode(idna.encode(host, uts46=True))
    except (idna.IDNAError, UnicodeError):
        return None
    return host.lower().removeprefix("www.")


def handle_normalise(raw: str, *, platform: str = "") -> Contact | None:
    """A social account: "@Name", "name", "t.me/name", "https://x.com/name" and so on."""
    text = plain(raw)
    lowered = text.lower()
    if "/" in lowered:
        host = domain_normalise(lowered)
        found = _PLATFORM_HOSTS.get(host or "")
        if found is None:
            return None
        path = urlsplit(lowered if "://" in lowered else "//" + lowered).path
        segments = [segment for segment in path.split("/") if segment]
        if segments and segments[0] in {"invite", "u", "n"} and len(segments) > 1:
            segments = segments[1:]
        if not segments:
            return None
        platform, lowered = found, segments[0]
    match = _HANDLE.fullmatch(lowered)
    if match is None:
        return None
    return Contact(Kind.HANDLE, match.group(1).strip(".-"), platform)


def phone_normalise(raw: str, *, region: str | None = None) -> str | None:
    """E.164: "+86 138-0013-8000", "0086 13800138000" and "138 0013 8000" (in the desk's region)
    all read "+8613800138000"."""
    text = cleaned(raw)
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or settings.SUPPORT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_normalise(raw: str) -> str | None:
    text = plain(raw).lower().removeprefix("mailto:")
    if not _EMAIL.fullmatch(text):
        return None
    local, _at, domain = text.rpartition("@")
    host = domain_normalise(domain)
    return f"{local}@{host}" if host else None


def address_normalise(raw: str) -> str | None:
    """A wallet address: hexadecimal ones compare in lower case, base58 and bech32 as typed."""
    text = plain(raw)
    if _ETH_ADDRESS.fullmatch(text):
        return text.lower()
    if _BASE58_ADDRESS.fullmatch(text):
        return text.lower() if text.startswith("bc1") else text
    return None


def contact_normalise(*, kind: str, raw: str, platform: str = "") -> Contact | None:
    """`raw` read as a contact of `kind` (for the lists the admin edits)."""
    if kind == Kind.HANDLE:
        found = handle_normalise(raw, platform=platform)
        return Contact(Kind.HANDLE, found.value, platform or found.platform) if found else None
    normaliser = {
        Kind.AGENT_CODE: agent_code_normalise,
        Kind.DOMAIN: domain_normalise,
        Kind.PHONE: phone_normalise,
        Kind.EMAIL: email_normalise,
        Kind.ADDRESS: address_normalise,
    }[kind]
    value = normaliser(raw)
    return Contact(kind, value) if value else None


_PHONE_SHAPE = re.compile(r"\+?[\d\s\-().]{7,24}")


def contact_read(raw: str) -> Contact | None:
    """What a customer typed, recognised: a code, address, e-mail, phone, web address or
    handle, tried in that order (each shape excludes the later ones)."""
    text = plain(raw)
    folded = cleaned(raw)
    if not text:
        return None
    if (address := address_normalise(text)) is not None:
        return Contact(Kind.ADDRESS, address)
    digits = sum(char.isdigit() for char in folded)
    # "WS..." or a short run with a digit in it (a bare "1024"); seven digits make a phone.
    code = agent_code_normalise(folded)
    if code is not None and (folded.upper().startswith("WS") or 0 < digits < 7):
        return Contact(Kind.AGENT_CODE, code)
    if "@" in text.strip("@") and (email := email_normalise(text)):
        return Contact(Kind.EMAIL, email)
    if _PHONE_SHAPE.fullmatch(folded) and (phone := phone_normalise(folded)):
        return Contact(Kind.PHONE, phone)
    if (handle := handle_normalise(text)) is not None and (
        handle.platform or text.startswith("@") or "." not in text
    ):
        return handle
    if (domain := domain_normalise(text)) is not None:
        return Contact(Kind.DOMAIN, domain)
    return None
