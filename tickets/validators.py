"""Validation of what customers send us: transaction hashes, wallet account IDs, attachments.

Used by the contact form, customer replies, the e-mail channel and the API. Every check raises
`django.core.exceptions.ValidationError` with a translatable message and a stable `code`:

* `invalid_hash`, `invalid_network`: transaction hashes (`validate_transaction_hash`).
* `invalid_account_id`: wallet account IDs (`validate_wallet_account_id`).
* `too_short`: a ticket's description (`validate_description_length`).
* `too_large`, `empty`, `unsupported_type`, `corrupt`, `too_many`: attachments
  (`check_attachment`, `check_attachments`).

Attachment types are sniffed from the content; the file name and the browser's content type are
never trusted. The name is cleaned for display only (`safe_filename`); files should be stored
under a name of our own. Images are decoded and saved again (`CheckedAttachment.content`): what
is stored is only the picture, without anything appended to it and without metadata such as a
photo's location. PDFs cannot be re-saved faithfully, so they are inspected (`_inspect_pdf`):
one that holds scripts, actions that start programs or submit data, embedded files, or HTML is
refused (docs/uploads.md says why pypdf and what is looked at).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from PIL import Image, ImageOps
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from guard.detect import contains_secret

logger = logging.getLogger(__name__)


class Network(models.TextChoices):
    """Networks a customer can say a transaction was sent on."""

    BITCOIN = "bitcoin", _("Bitcoin")
    ETHEREUM = "ethereum", _("Ethereum (ERC-20)")
    BSC = "bsc", _("BNB Smart Chain (BEP-20)")
    POLYGON = "polygon", _("Polygon")
    ARBITRUM = "arbitrum", _("Arbitrum One")
    TRON = "tron", _("TRON (TRC-20)")
    SOLANA = "solana", _("Solana")
    OTHER = "other", _("Other network")


EVM_NETWORKS = frozenset({Network.ETHEREUM, Network.BSC, Network.POLYGON, Network.ARBITRUM})

DEFAULT_EXPLORER_URLS: dict[str, str] = {
    Network.BITCOIN: "https://mempool.space/tx/{hash}",
    Network.ETHEREUM: "https://etherscan.io/tx/{hash}",
    Network.BSC: "https://bscscan.com/tx/{hash}",
    Network.POLYGON: "https://polygonscan.com/tx/{hash}",
    Network.ARBITRUM: "https://arbiscan.io/tx/{hash}",
    Network.TRON: "https://tronscan.org/#/transaction/{hash}",
    Network.SOLANA: "https://solscan.io/tx/{hash}",
}

_HEX64 = re.compile(r"[0-9a-f]{64}")
_PREFIXED_HEX64 = re.compile(r"(?:0x)?([0-9a-f]{64})")
_SOLANA_SIGNATURE = re.compile(r"[1-9A-HJ-NP-Za-km-z]{86,88}")
_OTHER_HASH = re.compile(r"[A-Za-z0-9:_-]{8,128}")
_WALLET_ACCOUNT_ID = re.compile(r"[A-Za-z0-9_.@-]{3,64}")

_HASH_MESSAGES = {
    Network.BITCOIN: _(
        "Enter a Bitcoin transaction ID: 64 characters, digits 0-9 and letters a-f, "
        "without “0x” in front."
    ),
    Network.TRON: _("Enter a TRON transaction ID: 64 characters, digits 0-9 and letters a-f."),
    Network.SOLANA: _(
        "Enter a Solana transaction signature: 86 to 88 letters and digits "
        "(base58, so never 0, O, I or l)."
    ),
    Network.OTHER: _(
        "Enter a transaction ID of 8 to 128 characters: letters, digits, “:”, “_” or “-”, "
        "with no spaces."
    ),
}
_EVM_HASH_MESSAGE = _(
    "Enter a %(network)s transaction hash: “0x” followed by 64 characters, "
    "digits 0-9 and letters a-f."
)


def validate_transaction_hash(value: str, network: str) -> str:
    """Return the normalised transaction hash for `network`, or raise ValidationError."""
    if network not in Network.values:
        raise ValidationError(
            _("Choose the network the transaction was sent on."), code="invalid_network"
        )
    text = value.strip() if isinstance(value, str) else ""
    network = Network(network)
    if network in EVM_NETWORKS:
        match = _PREFIXED_HEX64.fullmatch(text.lower())
        if match:
            return "0x" + match[1]
        raise ValidationError(
            _EVM_HASH_MESSAGE, code="invalid_hash", params={"network": network.label}
        )
    if network == Network.BITCOIN:
        normalised = text.lower() if _HEX64.fullmatch(text.lower()) else None
    elif network == Network.TRON:
        match = _PREFIXED_HEX64.fullmatch(text.lower())
        normalised = match[1] if match else None
    elif network == Network.SOLANA:
        normalised = text if _SOLANA_SIGNATURE.fullmatch(text) else None
    else:
        normalised = text if _OTHER_HASH.fullmatch(text) else None
    if normalised is None:
        raise ValidationError(_HASH_MESSAGES[network], code="invalid_hash")
    return normalised


def explorer_url(transaction_hash: str, network: str) -> str | None:
    """Return the block-explorer link for a valid hash on `network`, or None if there is none."""
    patterns = getattr(settings, "BLOCK_EXPLORER_URLS", DEFAULT_EXPLORER_URLS)
    pattern = patterns.get(str(network)) if network in Network.values else None
    if not pattern or "{hash}" not in pattern:
        return None
    try:
        normalised = validate_transaction_hash(transaction_hash, network)
    except ValidationError:
        return None
    # str.replace, not str.format: a pattern may contain other braces.
    return pattern.replace("{hash}", quote(normalised, safe=""))


def validate_wallet_account_id(value: str | None) -> str:
    """Return the stripped wallet account ID ("" when left empty), or raise ValidationError."""
    text = (value or "").strip()
    if text and not _WALLET_ACCOUNT_ID.fullmatch(text):
        raise ValidationError(
            _(
                "Enter your wallet account ID as 3 to 64 characters: letters, digits, "
                "“.”, “_”, “-” or “@”, with no spaces."
            ),
            code="invalid_account_id",
        )
    return text


# A description must say enough to act on. A Chinese character carries about as much as two
# letters of an English word, so it counts twice: 15 characters of Chinese, or 30 of English.
DESCRIPTION_MIN_WEIGHT = 30
WIDE_CHARACTER_WEIGHT = 2
_WIDE_CHARACTERS = re.compile(
    "[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]"
)
_DESCRIPTION_TOO_SHORT = _(
    "Please tell us a little more, so that we can act on it: at least 30 characters, or 15 in "
    "Chinese (say what you did, what you expected and what happened)."
)


def description_weight(text: str) -> int:
    """How much a description says, by length: Chinese, Japanese and Korean characters count
    double; invisible characters (zero-width spaces, joiners) and runs of spaces count nothing
    beyond one space."""
    visible = "".join(char for char in text if unicodedata.category(char) not in {"Cf", "Cc"})
    visible = " ".join(visible.split())
    wide = len(_WIDE_CHARACTERS.findall(visible))
    return len(visible) - wide + wide * WIDE_CHARACTER_WEIGHT


def validate_description_length(value: str) -> None:
    """Refuse a description too short to act on, in the project's words."""
    if description_weight(value) < DESCRIPTION_MIN_WEIGHT:
        raise ValidationError(_DESCRIPTION_TOO_SHORT, code="too_short")


MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
MAX_NAME_LENGTH = 80
_MAX_EXTENSION_LENGTH = 10
_CHUNK_BYTES = 64 * 1024
# Acrobat accepts a PDF whose %%EOF lies within the last 1024 bytes; so do we.
_PDF_TAIL_BYTES = 1024


@dataclass(frozen=True)
class _Kind:
    content_type: str
    extension: str
    magic: bytes
    pillow_format: str | None


_KINDS = (
    _Kind("image/png", ".png", b"\x89PNG\r\n\x1a\n", "PNG"),
    _Kind("image/jpeg", ".jpg", b"\xff\xd8\xff", "JPEG"),
    _Kind("application/pdf", ".pdf", b"%PDF-", None),
)
_MAGIC_BYTES = max(len(kind.magic) for kind in _KINDS)
_LIMITS = {
    "max_mb": MAX_ATTACHMENT_BYTES // (1024 * 1024),
    "max_megapixels": MAX_IMAGE_PIXELS // 1_000_000,
}

# Each message is one whole string so that translators see full sentences.
_ATTACHMENT_MESSAGES = {
    "too_large": _(
        "This file is larger than %(max_mb)s MB. "
        "Attach PNG, JPEG or PDF files of at most %(max_mb)s MB."
    ),
    "empty": _("This file is empty. Attach PNG, JPEG or PDF files of at most %(max_mb)s MB."),
    "unsupported_type": _(
        "This type of file cannot be attached. "
        "Attach PNG, JPEG or PDF files of at most %(max_mb)s MB."
    ),
    "corrupt": _(
        "This file is damaged or incomplete, so it cannot be opened. "
        "Attach PNG, JPEG or PDF files of at most %(max_mb)s MB."
    ),
    "too_many_pixels": _(
        "This image is larger than %(max_megapixels)s megapixels. Attach a smaller screenshot."
    ),
    "active_pdf": _(
        "This PDF holds scripts, actions, embedded files or a password, so it cannot be "
        "attached. Print it to a new PDF, or attach a screenshot instead."
    ),
}


@dataclass(frozen=True)
class CheckedAttachment:
    """An attachment whose type was sniffed from its content and verified."""

    content_type: str
    extension: str
    size: int
    sha256: str
    safe_name: str
    # What to store: an image as saved again here; None keeps the upload as it came (a PDF).
    content: bytes | None = None


_CODES = {"too_many_pixels": "too_large", "active_pdf": "unsupported_type"}


def _refuse(problem: str) -> ValidationError:
    code = _CODES.get(problem, problem)
    return ValidationError(_ATTACHMENT_MESSAGES[problem], code=code, params=_LIMITS)


def safe_filename(name: str | None, extension: str | None = None) -> str:
    """Return a display-only version of an uploaded file's name, with `extension` if given."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if category.startswith(("L", "Nd")) or char in "._-":
            kept.append(char)
        elif category == "Zs":
            kept.append(" ")
    name = re.sub(r"\.{2,}", ".", re.sub(r" {2,}", " ", "".join(kept))).strip(" ")
    stem, dot, original_extension = name.rpartition(".")
    if not dot or len(original_extension) > _MAX_EXTENSION_LENGTH:
        stem, original_extension = name, ""
    if extension is None:
        extension = "." + original_extension.strip(" ") if original_extension.strip(" ") else ""
    if contains_secret(re.sub(r"[._-]+", " ", stem)) is not None:
        # A recovery phrase or key typed as a file name is never kept or shown.
        stem = ""
    stem = stem.strip(" .")[: MAX_NAME_LENGTH - len(extension)].rstrip(" .")
    return f"{stem or 'attachment'}{extension}"


def _read(uploaded: UploadedFile) -> tuple[int, bytes, bytes, str]:
    """Read the file in chunks: size, first bytes, last bytes and SHA-256; refuse if too large."""
    if uploaded.size is not None and uploaded.size > MAX_ATTACHMENT_BYTES:
        raise _refuse("too_large")
    uploaded.seek(0)
    digest = hashlib.sha256()
    size = 0
    head = tail = b""
    # Never read past one byte over the limit, whatever `uploaded.size` claims.
    while chunk := uploaded.read(min(_CHUNK_BYTES, MAX_ATTACHMENT_BYTES + 1 - size)):
        size += len(chunk)
        if size > MAX_ATTACHMENT_BYTES:
            raise _refuse("too_large")
        digest.update(chunk)
        if len(head) < _MAGIC_BYTES:
            head = (head + chunk)[:_MAGIC_BYTES]
        tail = (tail + chunk)[-_PDF_TAIL_BYTES:]
    return size, head, tail, digest.hexdigest()


def _reencoded_image(uploaded: UploadedFile, pillow_format: str) -> bytes:
    """Decode the whole image and save it again, upright, with nothing but its pixels (and its
    transparency): bytes appended after the image and metadata (EXIF with a phone's location,
    text chunks) are left behind. Refused unless it decodes and is of a sane size."""
    try:
        uploaded.seek(0)
        with Image.open(uploaded, formats=[pillow_format]) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise _refuse("too_many_pixels")
            image.verify()  # a PNG's checksums
        uploaded.seek(0)
        with Image.open(uploaded, formats=[pillow_format]) as image:
            image.load()  # a truncated image raises here
            transparency = image.info.get("transparency")
            clean = ImageOps.exif_transpose(image)  # a copy, turned as the camera meant
    except Image.DecompressionBombError as error:
        raise _refuse("too_many_pixels") from error
    except ValidationError:
        raise
    except Exception as error:
        # Pillow raises many exception types on hostile input (as Django's ImageField knows).
        raise _refuse("corrupt") from error
    clean.info = {}
    options: dict = {}
    if pillow_format == "PNG" and transparency is not None:
        options["transparency"] = transparency
    if pillow_format == "JPEG":
        options["quality"] = 90
    out = io.BytesIO()
    clean.save(out, format=pillow_format, **options)
    return out.getvalue()


# Names that make a PDF do something when opened or clicked, or carry another file (PDF 1.7,
# 12.6 Actions and 7.11 File specifications). Looked for in every object pypdf reads, names
# decoded (/J#61vaScript is /JavaScript). Links to web addresses (/URI) are allowed.
_PDF_ACTIVE_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/Launch",
        "/AA",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/EF",
        "/FileAttachment",
        "/RichMedia",
        "/XFA",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
        "/GoToR",
        "/Sound",
        "/Movie",
    }
)
# The same, in the raw bytes too: an object that no cross-reference table lists is still read
# by a viewer that repairs the file. Only long names, which compressed data never spells by
# chance (two or three letters would match in about one file in three).
_PDF_RAW_NAME = re.compile(rb"/([A-Za-z0-9#]{6,20})(?![A-Za-z0-9#])")
_PDF_RAW_ACTIVE = {name[1:] for name in _PDF_ACTIVE_NAMES if len(name) > 6}
# HTML in a PDF: a browser that sniffs it would run the page.
_PDF_HTML = re.compile(rb"<(?:script|html|!doctype|iframe|body)[\s>]", re.IGNORECASE)
_PDF_MAX_OBJECTS = 200_000
_PDF_MAX_DEPTH = 64


def _raw_name(match: re.Match) -> str:
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda hexed: bytes([int(hexed[1], 16)]), match[1]).decode(
        "latin-1"
    )


def _pdf_object_is_active(value, depth: int = 0) -> bool:
    if depth > _PDF_MAX_DEPTH:
        return True  # nesting no real document needs: refused rather than walked
    if isinstance(value, IndirectObject):
        return False  # every indirect object is walked on its own
    if isinstance(value, NameObject):
        return value in _PDF_ACTIVE_NAMES
    if isinstance(value, DictionaryObject):  # streams too: their dictionaries
        return any(
            key in _PDF_ACTIVE_NAMES or _pdf_object_is_active(item, depth + 1)
            for key, item in value.items()
        )
    if isinstance(value, ArrayObject):
        return any(_pdf_object_is_active(item, depth + 1) for item in value)
    return False


def _inspect_pdf(uploaded: UploadedFile) -> None:
    """Refuse a PDF that holds active content, HTML or a password, or that pypdf cannot read."""
    uploaded.seek(0)
    data = uploaded.read(MAX_ATTACHMENT_BYTES + 1)
    if _PDF_HTML.search(data) or any(
        _raw_name(match) in _PDF_RAW_ACTIVE for match in _PDF_RAW_NAME.finditer(data)
    ):
        raise _refuse("active_pdf")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refuse("active_pdf")  # its objects cannot be looked at
        if len(reader.pages) == 0:
            raise _refuse("corrupt")
        references = [
            IndirectObject(number, generation, reader)
            for generation, numbers in reader.xref.items()
            for number in numbers
        ] + [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
        if len(references) > _PDF_MAX_OBJECTS:
            raise _refuse("corrupt")
        active = _pdf_object_is_active(reader.trailer) or any(
            _pdf_object_is_active(reference.get_object()) for reference in references
        )
    except ValidationError:
        raise
    except Exception as error:
        logger.info("attachment refused: PDF not readable (%s)", type(error).__name__)
        raise _refuse("corrupt") from error
    if active:
        raise _refuse("active_pdf")


def check_attachment(uploaded: UploadedFile) -> CheckedAttachment:
    """Sniff and verify one uploaded file; raise ValidationError unless it is a PNG, JPEG or PDF."""
    size, head, tail, sha256 = _read(uploaded)
    if size == 0:
        raise _refuse("empty")
    kind = next((kind for kind in _KINDS if head.startswith(kind.magic)), None)
    if kind is None:
        raise _refuse("unsupported_type")
    content = None
    if kind.pillow_format:
        content = _reencoded_image(uploaded, kind.pillow_format)
        size, sha256 = len(content), hashlib.sha256(content).hexdigest()
    elif b"%%EOF" not in tail:
        raise _refuse("corrupt")
    else:
        _inspect_pdf(uploaded)
    uploaded.seek(0)
    return CheckedAttachment(
        content_type=kind.content_type,
        extension=kind.extension,
        size=size,
        sha256=sha256,
        safe_name=safe_filename(uploaded.name, kind.extension),
        content=content,
    )


def check_attachments(files: list[UploadedFile]) -> list[CheckedAttachment]:
    """Check every uploaded file; raise one ValidationError listing each file's problem."""
    files = list(files or [])
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(
            ngettext_lazy("Attach at most %(max)d file.", "Attach at most %(max)d files.", "max"),
            code="too_many",
            params={"max": MAX_ATTACHMENTS},
        )
    checked, errors = [], []
    for uploaded in files:
        try:
            checked.append(check_attachment(uploaded))
        except ValidationError as error:
            for problem in error.error_list:
                message = problem.message % problem.params if problem.params else problem.message
                errors.append(
                    ValidationError(
                        _("“%(name)s”: %(problem)s"),
                        code=problem.code,
                        params={"name": safe_filename(uploaded.name), "problem": message},
                    )
                )
    if errors:
        raise ValidationError(errors)
    return checked
