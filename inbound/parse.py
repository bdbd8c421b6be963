"""Reading incoming email: one raw RFC 5322 message in, the parts the desk needs out.

Pure parsing with the standard library's `email` package; nothing here touches the database
(inbound.services files the result). What it handles:

* the text: the plain part when there is one, else the HTML converted to text; charsets as
  labelled, GB2312/GBK read as GB18030 (Chinese clients label GBK text GB2312), 8-bit headers
  read as UTF-8 or GB18030;
* RFC 2047 encoded subjects and names, RFC 2231 file names;
* quoted history trimmed from replies ("On ... wrote:", "在 ... 写道：", "-----Original
  Message-----", Outlook's "From:/Sent:" block, "发件人：", "> " lines, a "-- " signature);
* automatic mail: auto-replies (Auto-Submitted, X-Autoreply, Precedence, "Automatic reply:")
  and bounces (multipart/report, MAILER-DAEMON, an empty Return-Path);
* the threading headers and the ticket references in the subject.
"""

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from tickets.models import REFERENCE_ALPHABET

# A raw message larger than this is refused (its headers are still read, to answer the sender).
MAX_MESSAGE_BYTES = 25 * 1024 * 1024
# Parts looked at in one message: a message of thousands of parts is not a customer's email.
MAX_PARTS = 100

REFERENCE_RE = re.compile(rf"\bWS-[{REFERENCE_ALPHABET}]{{8}}\b", re.IGNORECASE)
_MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,900}>")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FOLD_RE = re.compile(r"\r?\n[ \t]*")

# Labels under which Chinese clients send GBK (or wider) text; GB18030 reads them all.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "gb_2312-80": "gb18030",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "ks_c_5601-1987": "cp949",
}
_CHINESE_CHARSETS = {"gb2312", "gbk", "x-gbk", "cp936", "euc-cn", "gb18030", "big5", "gb_2312-80"}


class UnreadableEmail(Exception):
    """Not an email the desk can act on: no headers, or no usable sender address."""


class AutomaticKind:
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"


@dataclass(frozen=True)
class InboundAttachment:
    name: str
    content: bytes


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str  # "<...>", or "" when the message has none
    sender_email: str
    sender_name: str
    subject: str
    body: str  # the new text only: quoted history and signature trimmed
    language: str  # "zh-hans" or "en", for a new ticket
    automatic: str = ""  # an AutomaticKind, or "" for mail written by a person
    thread_ids: tuple[str, ...] = ()  # In-Reply-To first, then References, newest first
    subject_references: tuple[str, ...] = ()
    attachments: tuple[InboundAttachment, ...] = field(default=(), repr=False)


def dedupe_key(*, message_id: str, raw: bytes) -> str:
    """The key a message is processed once under: its Message-ID, else its bytes."""
    if message_id:
        return hashlib.sha256(b"message-id:" + message_id.encode("utf-8", "replace")).hexdigest()
    return hashlib.sha256(raw).hexdigest()


# More MIME parts than any real mail has; nesting this deep exhausts the parser's recursion.
MAX_MIME_BOUNDARIES = 200


def parse_email(raw: bytes, *, headers_only: bool = False) -> ParsedEmail:
    """Parse one raw message; `headers_only` for a message too large to read whole. Anything
    the parser cannot make sense of is `UnreadableEmail`, never another error: the message is
    then recorded as unreadable and never retried."""
    if raw.lower().count(b"boundary=") > MAX_MIME_BOUNDARIES:
        raise UnreadableEmail("too many MIME parts")
    try:
        return _parse_email(raw, headers_only=headers_only)
    except UnreadableEmail:
        raise
    except Exception as error:  # untrusted input: every parse failure means the same thing
        raise UnreadableEmail(f"unparseable: {type(error).__name__}") from error


def _parse_email(raw: bytes, *, headers_only: bool) -> ParsedEmail:
    if headers_only:
        raw = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0] + b"\r\n\r\n"
    if not raw.strip():
        raise UnreadableEmail("empty input")
    message = message_from_bytes(raw, policy=policy.default)
    if not list(message.raw_items()):
        raise UnreadableEmail("no headers")
    sender_email, sender_name = _sender(message)
    subject = _clean(header_text(message, "Subject"))
    thread_ids = (
        *reversed(_MESSAGE_ID_RE.findall(header_text(message, "In-Reply-To"))),
        *reversed(_MESSAGE_ID_RE.findall(header_text(message, "References"))),
    )
    body_part = None if headers_only else _body_part(message)
    body = "" if body_part is None else trim_quoted(_body_text(body_part))
    attachments = () if headers_only else tuple(_attachments(message, body_part))
    return ParsedEmail(
        message_id=_message_id(message),
        sender_email=sender_email,
        sender_name=sender_name[:100],
        subject=subject,
        body=body,
        language=_language(message, body_part, subject + "\n" + body),
        automatic=automatic_kind(message, sender_email=sender_email, subject=subject),
        thread_ids=tuple(dict.fromkeys(thread_ids)),
        subject_references=tuple(
            dict.fromkeys(match.upper() for match in REFERENCE_RE.findall(subject))
        ),
        attachments=attachments,
    )


# --- headers -------------------------------------------------------------------------------


def header_text(message: EmailMessage, name: str) -> str:
    """A header's text, decoded from RFC 2047 or raw 8-bit, unfolded; "" when absent."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return _decode_header(str(value))
    return ""


def _decode_header(value: str) -> str:
    value = _FOLD_RE.sub(" ", value).strip()
    if any("\udc80" <= char <= "\udcff" for char in value):
        # Raw 8-bit bytes in a header (not RFC 2047): most often UTF-8, else GBK.
        value = _decode_bytes(value.encode("ascii", "surrogateescape"), "utf-8", guess=True)
    try:
        chunks = decode_header(value)
    except (ValueError, LookupError, AssertionError):
        return value
    decoded = [
        _decode_bytes(chunk, charset or "utf-8") if isinstance(chunk, bytes) else chunk
        for chunk, charset in chunks
    ]
    return "".join(decoded)


def _decode_bytes(data: bytes, charset: str, *, guess: bool = False) -> str:
    charset = (charset or "utf-8").strip().lower()
    charset = _CHARSET_ALIASES.get(charset, charset)
    if guess:
        for candidate in (charset, "gb18030"):
            try:
                return data.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                continue
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _clean(text: str) -> str:
    """No control characters or lone surrogates (the database refuses them), one line."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return " ".join(_CONTROL_RE.sub("", text).split())


def _sender(message: EmailMessage) -> tuple[str, str]:
    raw_from = ""
    for key, value in message.raw_items():
        if key.lower() == "from":
            raw_from = _FOLD_RE.sub(" ", str(value))
            break
    for name, address in getaddresses([raw_from]):
        address = address.strip()
        try:
            validate_email(address)
        except ValidationError:
            continue
        if len(address) > 254:
            continue
        return address, _clean(_decode_header(name))
    raise UnreadableEmail("no valid sender address")


def _message_id(message: EmailMessage) -> str:
    match = _MESSAGE_ID_RE.search(header_text(message, "Message-ID"))
    return match[0] if match else ""


def automatic_kind(message: EmailMessage, *, sender_email: str, subject: str) -> str:
    """Bounces and auto-replies (RFC 3834 and what common servers send instead), or ""."""
    local_part = sender_email.rsplit("@", 1)[0].lower()
    if (
        message.get_content_type() == "multipart/report"
        or header_text(message, "X-Failed-Recipients")
        or local_part in {"mailer-daemon", "postmaster"}
        or header_text(message, "Return-Path").replace(" ", "") == "<>"
    ):
        return AutomaticKind.BOUNCE
    auto_submitted = header_text(message, "Auto-Submitted").split(";")[0].strip().lower()
    precedence = header_text(message, "Precedence").strip().lower()
    if (
        (auto_submitted and auto_submitted != "no")
        or header_text(message, "X-Autoreply")
        or header_text(message, "X-Autorespond")
        or header_text(message, "X-Autoresponder")
        or precedence in {"bulk", "auto_reply", "junk"}
        or _AUTO_REPLY_SUBJECT_RE.match(subject)
    ):
        return AutomaticKind.AUTO_REPLY
    return ""


# Out-of-office subjects of servers that send no header saying so (Exchange, QQ Mail).
_AUTO_REPLY_SUBJECT_RE = re.compile(
    r"^\s*(automatic reply|auto(matic)?[- ]?reply|out of (the )?office|自动回复|自动答复|自動回覆)"
    r"\s*[:：]",
    re.IGNORECASE,
)


def _language(message: EmailMessage, body_part: EmailMessage | None, text: str) -> str:
    declared = header_text(message, "Content-Language").lower()
    if declared.startswith("zh"):
        return "zh-hans"
    if declared.startswith("en"):
        return "en"
    charset = (body_part.get_content_charset() or "") if body_part is not None else ""
    if charset.lower() in _CHINESE_CHARSETS or _CJK_RE.search(text):
        return "zh-hans"
    return "en"


# --- body ----------------------------------------------------------------------------------


def _body_part(message: EmailMessage) -> EmailMessage | None:
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, TypeError):
        return None


def _body_text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True) or b""
    text = _decode_bytes(payload, part.get_content_charset() or "utf-8")
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return _CONTROL_RE.sub("", text.encode("utf-8", "replace").decode("utf-8"))


class _HTMLText(HTMLParser):
    """HTML to plain text: blocks on lines of their own, quotes marked "> ", no markup."""

    _SKIP = {"script", "style", "head", "title", "template", "noscript"}
    _PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "pre", "hr"}
    _LINES = {"div", "li", "tr", "dl", "dt", "dd", "section", "article", "header", "footer"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = [(0, "")]
        self.skipping = 0
        self.quote_depth = 0
        self.preformatted = 0

    def _break(self, *, blank: bool = False, force: bool = False) -> None:
        """End the current line (unless it is empty), and leave a blank line if asked."""
        line = self.lines[-1][1]
        if line.strip() or force:
            self.lines.append((self.quote_depth, ""))
        else:
            self.lines[-1] = (self.quote_depth, line)
        if blank and len(self.lines) > 1 and self.lines[-2][1].strip():
            self.lines.append((self.quote_depth, ""))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag == "br":
            self._break(force=True)
        elif tag == "blockquote":
            self._break()
            self.quote_depth += 1
            self._break()
        elif tag in self._PARAGRAPHS or tag in self._LINES:
            self.preformatted += tag == "pre"
            self._break(blank=tag in self._PARAGRAPHS)
            if tag == "li":
                self.handle_data("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "hr"}:
            self._break(force=tag == "br", blank=tag == "hr")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "blockquote":
            self._break()
            self.quote_depth = max(0, self.quote_depth - 1)
            self._break()
        elif tag in self._PARAGRAPHS or tag in self._LINES:
            self.preformatted = max(0, self.preformatted - (tag == "pre"))
            self._break(blank=tag in self._PARAGRAPHS)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.preformatted:
            first, *rest = data.split("\n")
            self._append(first)
            for line in rest:
                self._break(force=True)
                self._append(line)
            return
        self._append(re.sub(r"\s+", " ", data))

    def _append(self, text: str) -> None:
        depth, line = self.lines[-1]
        if not line and not text.strip():
            return  # no line starts with white space
        self.lines[-1] = (depth, line + text)

    def text(self) -> str:
        rendered = []
        for depth, line in self.lines:
            rendered.append(("> " * depth + line.strip()).rstrip())
        return re.sub(r"\n{3,}", "\n\n", "\n".join(rendered)).strip()


def html_to_text(html: str) -> str:
    """The text of an HTML email, safe to store: tags dropped, scripts and styles skipped."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return parser.text()


# A line where the quoted history of a reply starts.
_ATTRIBUTION_RES = (
    # "On Mon, 3 Jun 2024 at 10:00, Wallet Support <support@...> wrote:" (may wrap).
    re.compile(r"^\s*On\b.{0,400}\bwrote\s*:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^.{0,300}<[^<>\s]+@[^<>\s]+>\s*wrote\s*:\s*$", re.IGNORECASE | re.DOTALL),
    # "在 2024年6月3日 10:00，Wallet Support <...> 写道：", Gmail's "... 于2024年6月3日 写道："
    re.compile(r"^.{0,300}(在|于).{0,300}写道\s*[：:]\s*$", re.DOTALL),
    re.compile(r"^.{0,300}(在|於).{0,300}寫道\s*[：:]\s*$", re.DOTALL),
)
_DIVIDER_RE = re.compile(
    r"^\s*-{2,}\s*(original message|原始邮件|原始郵件|回复的原邮件)\s*-{2,}\s*$", re.IGNORECASE
)
_UNDERSCORES_RE = re.compile(r"^\s*_{10,}\s*$")
_FROM_RE = re.compile(r"^\s*\*?\s*(from|发件人|寄件者)\s*\*?\s*[:：]", re.IGNORECASE)
_HEADER_BLOCK_RE = re.compile(
    r"^\s*\*?\s*(sent|date|to|subject|发送时间|日期|时间|收件人|主题|寄件日期|主旨)\s*\*?\s*[:：]",
    re.IGNORECASE,
)


def _history_starts(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _DIVIDER_RE.match(line):
        return True
    following = lines[index + 1 : index + 6]
    if _UNDERSCORES_RE.match(line) and any(_FROM_RE.match(next_line) for next_line in following):
        return True
    if _FROM_RE.match(line) and any(_HEADER_BLOCK_RE.match(next_line) for next_line in following):
        return True
    candidates = [line]
    if index + 1 < len(lines):
        candidates.append(line + " " + lines[index + 1])
    return any(pattern.match(text) for text in candidates for pattern in _ATTRIBUTION_RES)


def trim_quoted(text: str) -> str:
    """The new text of a reply: history below an attribution or divider, "> " lines and a
    "-- " signature removed. A reply written below its quote keeps what follows the quote."""
    lines = text.split("\n")
    cut = next((i for i in range(len(lines)) if _history_starts(lines, i)), len(lines))
    kept = _without_quotes(lines[:cut])
    if not kept.strip() and cut < len(lines):
        # Written below the quote (bottom-posting): keep everything but quotes and attribution.
        kept = _without_quotes(line for i, line in enumerate(lines) if i != cut)
    return kept.strip() or text.strip()


def _without_quotes(lines) -> str:
    kept = []
    for line in lines:
        if line.rstrip() in {"--", "-- "} and line.startswith("--"):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept))


# --- attachments ---------------------------------------------------------------------------


def _leaves(part: EmailMessage, budget: list[int]):
    if budget[0] <= 0:
        return
    budget[0] -= 1
    if part.get_content_maintype() == "multipart":
        for sub in part.iter_parts():
            yield from _leaves(sub, budget)
    else:
        yield part


def _attachments(message: EmailMessage, body_part: EmailMessage | None):
    for part in _leaves(message, [MAX_PARTS]):
        if part is body_part:
            continue
        try:
            name = part.get_filename() or ""
        except (ValueError, LookupError, TypeError):
            name = ""
        disposition = part.get_content_disposition()
        if part.get_content_maintype() == "text" and not name and disposition != "attachment":
            continue  # the HTML twin of the plain text, or a text part of the body
        if part.get_content_maintype() == "message":
            content = part.as_bytes()
            name = name or "message.eml"
        else:
            content = part.get_payload(decode=True) or b""
        yield InboundAttachment(name=_clean(name) or "attachment", content=content)
