"""Transaction hashes, explorer links, wallet account IDs and attachments, built from real files."""

import hashlib
import io
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from PIL import Image

from tickets.validators import (
    DEFAULT_EXPLORER_URLS,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    CheckedAttachment,
    Network,
    check_attachment,
    check_attachments,
    explorer_url,
    safe_filename,
    validate_transaction_hash,
    validate_wallet_account_id,
)

HEX = "a1b2c3d4e5f60718293a4b5c6d7e8f90" * 2
SOLANA_SIGNATURE = (
    "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW"
)
EVM = [Network.ETHEREUM, Network.BSC, Network.POLYGON, Network.ARBITRUM]


# Real files -------------------------------------------------------------------------------------


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 60)).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 40).convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def pdf_bytes(padding: int = 0) -> bytes:
    """A one-page PDF with a correct cross-reference table, optionally padded by a comment."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = b"%PDF-1.4\n" + (b"%" + b"x" * (padding - 2) + b"\n" if padding else b"")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bilevel_png(width: int, height: int) -> bytes:
    """A real 1-bit black PNG; huge sizes compress to a few kilobytes (a decompression bomb)."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("wallet.txt", "not an image")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


class CountingBytesIO(io.BytesIO):
    """Remembers how many bytes were read, to prove a huge upload is not read to the end."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def lying_upload(content: bytes, claimed_size: int) -> InMemoryUploadedFile:
    """An upload whose `.size` claims less than the file really holds."""
    return InMemoryUploadedFile(
        CountingBytesIO(content), "attachment", "small.png", "image/png", claimed_size, None
    )


def codes(error: ValidationError) -> list[str]:
    return [item.code for item in error.error_list]


# Transaction hashes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network", "value", "expected"),
    [
        pytest.param(Network.BITCOIN, HEX, HEX, id="bitcoin"),
        pytest.param(Network.BITCOIN, HEX.upper(), HEX, id="bitcoin-upper-case"),
        pytest.param(Network.BITCOIN, f"  {HEX}\n", HEX, id="bitcoin-outer-whitespace"),
        *[pytest.param(n, f"0x{HEX}", f"0x{HEX}", id=f"{n}-prefixed") for n in EVM],
        *[pytest.param(n, HEX, f"0x{HEX}", id=f"{n}-prefix-added") for n in EVM],
        pytest.param(Network.ETHEREUM, f"0X{HEX.upper()}", f"0x{HEX}", id="ethereum-upper-case"),
        pytest.param("polygon", f" 0x{HEX} ", f"0x{HEX}", id="plain-string-network"),
        pytest.param(Network.TRON, HEX, HEX, id="tron"),
        pytest.param(Network.TRON, f"0x{HEX.upper()}", HEX, id="tron-prefix-stripped"),
        pytest.param(Network.SOLANA, SOLANA_SIGNATURE, SOLANA_SIGNATURE, id="solana-88"),
        pytest.param(Network.SOLANA, SOLANA_SIGNATURE[:86], SOLANA_SIGNATURE[:86], id="solana-86"),
        pytest.param(Network.OTHER, "tx:Ab_12-34", "tx:Ab_12-34", id="other"),
        pytest.param(Network.OTHER, "a" * 128, "a" * 128, id="other-longest"),
    ],
)
def test_validate_transaction_hash_accepts_and_normalises(network, value, expected):
    assert validate_transaction_hash(value, network) == expected


@pytest.mark.parametrize(
    ("network", "value"),
    [
        pytest.param(Network.BITCOIN, f"0x{HEX}", id="bitcoin-with-0x"),
        pytest.param(Network.BITCOIN, HEX[:-1], id="bitcoin-63-digits"),
        pytest.param(Network.BITCOIN, HEX + "0", id="bitcoin-65-digits"),
        pytest.param(Network.BITCOIN, HEX[:-1] + "g", id="bitcoin-not-hex"),
        pytest.param(Network.BITCOIN, f"{HEX[:32]} {HEX[32:]}", id="bitcoin-inner-space"),
        pytest.param(Network.BITCOIN, "", id="bitcoin-empty"),
        pytest.param(Network.BITCOIN, f"{HEX}\u200b", id="bitcoin-zero-width-space"),
        pytest.param(Network.BITCOIN, "٠" * 64, id="bitcoin-arabic-indic-digits"),
        pytest.param(Network.ETHEREUM, f"0x{HEX[:-2]}", id="ethereum-short"),
        pytest.param(Network.ETHEREUM, f"0x0x{HEX}", id="ethereum-double-prefix"),
        pytest.param(Network.ETHEREUM, "0x" + "ab" * 20, id="ethereum-address-not-hash"),
        pytest.param(Network.BSC, f"<b>0x{HEX}</b>", id="bsc-html"),
        pytest.param(Network.TRON, HEX[:-1], id="tron-short"),
        pytest.param(Network.SOLANA, SOLANA_SIGNATURE[:85], id="solana-85"),
        pytest.param(Network.SOLANA, SOLANA_SIGNATURE + "1", id="solana-89"),
        pytest.param(Network.SOLANA, "0" + SOLANA_SIGNATURE[1:], id="solana-zero"),
        pytest.param(Network.SOLANA, "O" + SOLANA_SIGNATURE[1:], id="solana-capital-o"),
        pytest.param(Network.SOLANA, "I" + SOLANA_SIGNATURE[1:], id="solana-capital-i"),
        pytest.param(Network.SOLANA, "l" + SOLANA_SIGNATURE[1:], id="solana-small-l"),
        pytest.param(Network.OTHER, "abc1234", id="other-7-characters"),
        pytest.param(Network.OTHER, "a" * 129, id="other-129-characters"),
        pytest.param(Network.OTHER, "abcd 12345", id="other-inner-space"),
        pytest.param(Network.OTHER, "<script>alert(1)</script>", id="other-html"),
        pytest.param(Network.OTHER, "../../etc/passwd", id="other-path"),
    ],
)
def test_validate_transaction_hash_rejects(network, value):
    with pytest.raises(ValidationError) as caught:
        validate_transaction_hash(value, network)

    assert caught.value.code == "invalid_hash"


@pytest.mark.parametrize(
    ("network", "words"),
    [
        pytest.param(Network.BITCOIN, ["Bitcoin", "64", "0x"], id="bitcoin"),
        pytest.param(Network.ETHEREUM, ["Ethereum (ERC-20)", "0x", "64"], id="ethereum"),
        pytest.param(Network.BSC, ["BNB Smart Chain (BEP-20)", "0x", "64"], id="bsc"),
        pytest.param(Network.POLYGON, ["Polygon", "0x", "64"], id="polygon"),
        pytest.param(Network.ARBITRUM, ["Arbitrum One", "0x", "64"], id="arbitrum"),
        pytest.param(Network.TRON, ["TRON", "64"], id="tron"),
        pytest.param(Network.SOLANA, ["Solana", "86 to 88", "base58"], id="solana"),
        pytest.param(Network.OTHER, ["8 to 128", "no spaces"], id="other"),
    ],
)
def test_validate_transaction_hash_message_names_the_expected_format(network, words):
    with pytest.raises(ValidationError) as caught:
        validate_transaction_hash("not a hash", network)

    message = caught.value.messages[0]
    assert all(word in message for word in words), message


@pytest.mark.parametrize("network", ["dogecoin", "", "ETHEREUM"], ids=["unknown", "empty", "case"])
def test_validate_transaction_hash_rejects_unknown_network(network):
    with pytest.raises(ValidationError) as caught:
        validate_transaction_hash(HEX, network)

    assert caught.value.code == "invalid_network"


def test_network_choices_have_readable_labels():
    assert Network.BSC.label == "BNB Smart Chain (BEP-20)"
    assert Network.OTHER.label == "Other network"
    assert len(Network.choices) == 8


# Explorer links ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network", "value", "expected"),
    [
        pytest.param(Network.BITCOIN, HEX, f"https://mempool.space/tx/{HEX}", id="bitcoin"),
        pytest.param(Network.ETHEREUM, HEX, f"https://etherscan.io/tx/0x{HEX}", id="ethereum"),
        pytest.param(Network.BSC, f"0x{HEX}", f"https://bscscan.com/tx/0x{HEX}", id="bsc"),
        pytest.param(
            Network.POLYGON, f"0x{HEX}", f"https://polygonscan.com/tx/0x{HEX}", id="polygon"
        ),
        pytest.param(
            Network.ARBITRUM, f"0x{HEX}", f"https://arbiscan.io/tx/0x{HEX}", id="arbitrum"
        ),
        pytest.param(
            Network.TRON, f"0x{HEX}", f"https://tronscan.org/#/transaction/{HEX}", id="tron"
        ),
        pytest.param(
            Network.SOLANA,
            SOLANA_SIGNATURE,
            f"https://solscan.io/tx/{SOLANA_SIGNATURE}",
            id="solana",
        ),
        pytest.param(
            Network.ETHEREUM,
            f" 0X{HEX.upper()} ",
            f"https://etherscan.io/tx/0x{HEX}",
            id="normalised-hash",
        ),
    ],
)
def test_explorer_url_for_each_network(network, value, expected):
    assert explorer_url(value, network) == expected


@pytest.mark.parametrize(
    ("network", "value"),
    [
        pytest.param(Network.OTHER, "tx:Ab_12-34", id="other-network"),
        pytest.param(Network.BITCOIN, HEX[:-1], id="invalid-hash"),
        pytest.param(Network.BITCOIN, f"{HEX}/../../evil", id="path-in-hash"),
        pytest.param(Network.ETHEREUM, f'0x{HEX}"><script>', id="html-in-hash"),
        pytest.param("dogecoin", HEX, id="unknown-network"),
    ],
)
def test_explorer_url_none_without_link(network, value):
    assert explorer_url(value, network) is None


def test_explorer_url_custom_pattern_from_settings(settings):
    settings.BLOCK_EXPLORER_URLS = {
        **DEFAULT_EXPLORER_URLS,
        "bitcoin": "https://blockstream.info/tx/{hash}?expand",
        "other": "https://explorer.example/{hash}",
    }

    assert explorer_url(HEX, Network.BITCOIN) == f"https://blockstream.info/tx/{HEX}?expand"
    assert explorer_url("tx:Ab_12", Network.OTHER) == "https://explorer.example/tx%3AAb_12"
    assert explorer_url(f"0x{HEX}", Network.ETHEREUM) == f"https://etherscan.io/tx/0x{HEX}"


@pytest.mark.parametrize(
    "patterns",
    [
        pytest.param({}, id="network-missing"),
        pytest.param({"bitcoin": ""}, id="empty-pattern"),
        pytest.param({"bitcoin": "https://mempool.space/tx/"}, id="no-placeholder"),
    ],
)
def test_explorer_url_none_when_settings_give_no_pattern(settings, patterns):
    settings.BLOCK_EXPLORER_URLS = patterns

    assert explorer_url(HEX, Network.BITCOIN) is None


def test_explorer_url_pattern_with_other_braces(settings):
    settings.BLOCK_EXPLORER_URLS = {"bitcoin": "https://x.example/{net}/tx/{hash}"}

    assert explorer_url(HEX, Network.BITCOIN) == f"https://x.example/{{net}}/tx/{HEX}"


# Wallet account IDs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("abc", "abc", id="shortest"),
        pytest.param("  alice.w_1-2@example  ", "alice.w_1-2@example", id="all-allowed-stripped"),
        pytest.param("x" * 64, "x" * 64, id="longest"),
        pytest.param("", "", id="empty"),
        pytest.param("   ", "", id="blank"),
        pytest.param(None, "", id="none"),
    ],
)
def test_validate_wallet_account_id_accepts(value, expected):
    assert validate_wallet_account_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("ab", id="too-short"),
        pytest.param("x" * 65, id="too-long"),
        pytest.param("alice smith", id="inner-space"),
        pytest.param("<script>", id="html"),
        pytest.param("钱包用户", id="chinese"),
        pytest.param("alice/../bob", id="slash"),
    ],
)
def test_validate_wallet_account_id_rejects(value):
    with pytest.raises(ValidationError) as caught:
        validate_wallet_account_id(value)

    assert caught.value.code == "invalid_account_id"
    assert "3 to 64 characters" in caught.value.messages[0]


# Attachments: accepted --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type", "extension"),
    [
        pytest.param("screen.png", png_bytes(), "image/png", ".png", id="png"),
        pytest.param("photo.jpg", jpeg_bytes(), "image/jpeg", ".jpg", id="jpeg"),
        pytest.param("receipt.pdf", pdf_bytes(), "application/pdf", ".pdf", id="pdf"),
        pytest.param("screen.jpg", png_bytes(), "image/png", ".png", id="png-named-jpg"),
        pytest.param("noextension", jpeg_bytes(), "image/jpeg", ".jpg", id="jpeg-without-name"),
        pytest.param("scan.png", pdf_bytes(), "application/pdf", ".pdf", id="pdf-named-png"),
    ],
)
def test_check_attachment_accepts_real_files(name, content, content_type, extension):
    uploaded = upload(name, content, content_type="application/octet-stream")

    checked = check_attachment(uploaded)

    # Images are stored as saved again (the same pixels), PDFs as they came.
    stored = content if checked.content is None else checked.content
    assert (checked.content is None) == (content_type == "application/pdf")
    assert checked == CheckedAttachment(
        content_type=content_type,
        extension=extension,
        size=len(stored),
        sha256=hashlib.sha256(stored).hexdigest(),
        safe_name=name.rpartition(".")[0] + extension if "." in name else name + extension,
        content=checked.content,
    )
    if content_type == "image/png":
        original, saved = Image.open(io.BytesIO(content)), Image.open(io.BytesIO(stored))
        assert (original.mode, original.tobytes()) == (saved.mode, saved.tobytes())


def test_check_attachment_rewinds_the_file_for_saving():
    content = png_bytes()
    uploaded = upload("screen.png", content)
    uploaded.read(10)

    check_attachment(uploaded)

    assert uploaded.read() == content


def test_check_attachment_accepts_exactly_the_size_limit():
    # Padding does not change the length of the rest once offsets have 7 digits.
    content = pdf_bytes(padding=MAX_ATTACHMENT_BYTES - len(pdf_bytes(padding=10**6)) + 10**6)
    assert len(content) == MAX_ATTACHMENT_BYTES

    assert check_attachment(upload("big.pdf", content)).size == MAX_ATTACHMENT_BYTES


def test_check_attachment_accepts_a_large_image_within_the_pixel_limit():
    assert check_attachment(upload("wide.png", bilevel_png(8000, 5000))).extension == ".png"


# Attachments: refused ---------------------------------------------------------------------------


def windows_executable() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        pytest.param("photo.png", windows_executable(), "unsupported_type", id="exe-named-png"),
        pytest.param(
            "photo.jpg", b"<!DOCTYPE html><script>alert(1)</script>", "unsupported_type", id="html"
        ),
        pytest.param(
            "logo.png",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "unsupported_type",
            id="svg",
        ),
        pytest.param("screens.png", zip_bytes(), "unsupported_type", id="zip"),
        pytest.param(
            "anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "unsupported_type", id="gif"
        ),
        pytest.param("empty.png", b"", "empty", id="empty"),
        pytest.param("cut.png", png_bytes()[:40], "corrupt", id="truncated-png"),
        pytest.param("header.png", b"\x89PNG\r\n\x1a\n", "corrupt", id="png-signature-only"),
        pytest.param("cut.jpg", jpeg_bytes()[:400], "corrupt", id="truncated-jpeg"),
        pytest.param("fake.jpg", b"\xff\xd8\xff" + b"\x00" * 500, "corrupt", id="jpeg-magic-only"),
        pytest.param("cut.pdf", pdf_bytes()[:-20], "corrupt", id="pdf-without-eof"),
        pytest.param("bomb.png", bilevel_png(20000, 20000), "too_large", id="decompression-bomb"),
        pytest.param("huge.png", bilevel_png(8000, 6000), "too_large", id="over-40-megapixels"),
        pytest.param(
            "big.png",
            b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_ATTACHMENT_BYTES - 7),
            "too_large",
            id="5mb-plus-one",
        ),
    ],
)
def test_check_attachment_refuses(name, content, code):
    with pytest.raises(ValidationError) as caught:
        check_attachment(upload(name, content))

    assert caught.value.code == code


def test_check_attachment_refuses_png_with_bad_checksum():
    content = bytearray(png_bytes())
    content[-20] ^= 0xFF  # inside the IDAT chunk, so its CRC no longer matches

    with pytest.raises(ValidationError) as caught:
        check_attachment(upload("flipped.png", bytes(content)))

    assert caught.value.code == "corrupt"


def test_check_attachment_stops_reading_when_size_lies():
    content = png_bytes() + b"\x00" * (2 * MAX_ATTACHMENT_BYTES)
    uploaded = lying_upload(content, claimed_size=1000)

    with pytest.raises(ValidationError) as caught:
        check_attachment(uploaded)

    assert caught.value.code == "too_large"
    assert uploaded.file.bytes_read <= MAX_ATTACHMENT_BYTES + 1


def test_check_attachment_refuses_claimed_size_over_limit_without_reading():
    uploaded = lying_upload(png_bytes(), claimed_size=MAX_ATTACHMENT_BYTES + 1)

    with pytest.raises(ValidationError) as caught:
        check_attachment(uploaded)

    assert caught.value.code == "too_large"
    assert uploaded.file.bytes_read == 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        pytest.param(windows_executable(), "unsupported_type", id="unsupported"),
        pytest.param(b"", "empty", id="empty"),
        pytest.param(png_bytes()[:40], "corrupt", id="corrupt"),
        pytest.param(b"%PDF-" + b"0" * MAX_ATTACHMENT_BYTES, "too_large", id="too-large"),
    ],
)
def test_check_attachment_message_names_allowed_types_and_limit(content, code):
    with pytest.raises(ValidationError) as caught:
        check_attachment(upload("file.png", content))

    assert caught.value.code == code
    assert "Attach PNG, JPEG or PDF files of at most 5 MB." in caught.value.messages[0]


# Attachments: display names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("../../etc/passwd.png", "passwd.png", id="unix-traversal"),
        pytest.param("C:\\evil\\x.png", "x.png", id="windows-path"),
        pytest.param("<b onclick='alert(1)'>x.png", "b onclickalert1x.png", id="html"),
        pytest.param("<script>alert(1)</script>.png", "script.png", id="closing-tag"),
        pytest.param("转账截图 2024-05-01.png", "转账截图 2024-05-01.png", id="chinese-kept"),
        pytest.param("a\x00b\nc\td.png", "abcd.png", id="control-characters"),
        pytest.param("invoice\u202egnp.exe", "invoicegnp.png", id="right-to-left-override"),
        pytest.param(
            "my   wallet\u3000\u00a0shot.gif", "my wallet shot.png", id="spaces-collapsed"
        ),
        pytest.param("...hidden..png", "hidden.png", id="dots-collapsed"),
        pytest.param("", "attachment.png", id="empty"),
        pytest.param("<>?*|.png", "attachment.png", id="nothing-left"),
        pytest.param("Café.PNG", "Café.png", id="accented-letters"),
    ],
)
def test_safe_filename_cleans_for_display(name, expected):
    assert safe_filename(name, ".png") == expected


def test_safe_filename_cuts_to_80_characters_keeping_the_extension():
    name = safe_filename("x" * 300 + ".pdf", ".pdf")

    assert len(name) == 80
    assert name.endswith("x.pdf")


def test_safe_filename_keeps_the_original_extension_when_none_is_given():
    assert safe_filename("../setup<1>.exe") == "setup1.exe"
    assert safe_filename("README") == "README"
    assert safe_filename(None) == "attachment"
    assert safe_filename("a." + "x" * 300) == "a." + "x" * 78


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("../../etc/passwd.png", "passwd.png", id="unix-traversal"),
        pytest.param("C:\\evil\\x.png", "x.png", id="windows-path"),
        pytest.param("<script>alert(1)</script>.png", "script.png", id="html"),
        pytest.param("钱包 截图.jpg", "钱包 截图.png", id="chinese-sniffed-extension"),
    ],
)
def test_check_attachment_safe_name(name, expected):
    # Django's UploadedFile already drops everything up to the last "/" of the name.
    assert check_attachment(upload(name, png_bytes())).safe_name == expected


# Several attachments ----------------------------------------------------------------------------


def test_check_attachments_accepts_up_to_the_limit():
    files = [
        upload("a.png", png_bytes()),
        upload("b.jpg", jpeg_bytes()),
        upload("c.pdf", pdf_bytes()),
    ]

    checked = check_attachments(files)

    assert [item.content_type for item in checked] == ["image/png", "image/jpeg", "application/pdf"]


def test_check_attachments_accepts_none():
    assert check_attachments([]) == []


def test_check_attachments_refuses_too_many():
    files = [upload(f"{index}.png", png_bytes()) for index in range(MAX_ATTACHMENTS + 1)]

    with pytest.raises(ValidationError) as caught:
        check_attachments(files)

    assert caught.value.code == "too_many"
    assert caught.value.messages == ["Attach at most 3 files."]


def test_check_attachments_collects_each_files_problem_under_its_name():
    files = [
        upload("fine.png", png_bytes()),
        upload("C:\\evil\\setup.png", windows_executable()),
        upload("空.pdf", b""),
    ]

    with pytest.raises(ValidationError) as caught:
        check_attachments(files)

    assert codes(caught.value) == ["unsupported_type", "empty"]
    first, second = caught.value.messages
    assert first.startswith("“setup.png”: This type of file cannot be attached.")
    assert second.startswith("“空.pdf”: This file is empty.")
    assert all("Attach PNG, JPEG or PDF files of at most 5 MB." in text for text in (first, second))


@pytest.mark.parametrize(
    ("language", "separator", "extension"),
    [("english", "_", ".png"), ("english", "-", ".pdf"), ("chinese_simplified", " ", ".jpg")],
)
def test_a_recovery_phrase_typed_as_a_file_name_is_never_kept(language, separator, extension):
    from tests.support.guard_corpus import phrase_words

    name = separator.join(phrase_words(language, 12, 7)) + extension

    assert safe_filename(name) == f"attachment{extension}"
    assert safe_filename("march receipt.png") == "march receipt.png"
