"""Attachments judged by their whole content, not their first bytes (tickets.validators): images
saved again without what was appended to them or their metadata; PDFs with scripts, actions,
embedded files, a password or HTML refused, however their names are spelled."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from tests.support.factories import contact_data
from tickets.models import Attachment, ProblemType
from tickets.validators import check_attachment

HTML = b"<html><body><script>fetch('/admin/').then(r=>r.text()).then(alert)</script></body></html>"
CONTACT = f"/contact/?type={ProblemType.OTHER}"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def png(mode: str = "RGB", size=(40, 30), **save) -> bytes:
    buffer = io.BytesIO()
    colour = {"RGB": (200, 30, 60), "RGBA": (1, 2, 3, 128), "P": 3, "L": 90}[mode]
    Image.new(mode, size, colour).save(buffer, "PNG", **save)
    return buffer.getvalue()


def jpeg_with_location(orientation: int = 1, size=(64, 48)) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (31.0, 14.0, 2.5)  # latitude: where the customer lives
    gps[3] = "E"
    gps[4] = (121.0, 28.0, 1.0)
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def pdf(build=None, *, password: str = "") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if build:
        build(writer)
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def hand_made_pdf(catalog_extra: bytes) -> bytes:
    """A one-page PDF written byte by byte, for names spelled as a tool would not spell them."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return out


def refused(name: str, content: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check_attachment(upload(name, content))
    return caught.value


# Images ---------------------------------------------------------------------------------------


def test_a_png_with_html_appended_is_stored_without_it():
    checked = check_attachment(upload("screenshot.png", png() + HTML))

    assert checked.content is not None
    assert b"<script" not in checked.content
    assert checked.content.endswith(b"IEND\xaeB`\x82")  # the picture, and nothing after it
    assert Image.open(io.BytesIO(checked.content)).size == (40, 30)
    assert checked.size == len(checked.content)


def test_a_jpeg_loses_its_location_and_camera_but_keeps_its_orientation():
    content = jpeg_with_location(orientation=6)  # "turn 90°": stored 64x48, shown 48x64

    checked = check_attachment(upload("photo.jpg", content))

    saved = Image.open(io.BytesIO(checked.content))
    assert not saved.getexif()
    assert b"PhoneMaker" not in checked.content
    assert b"Exif" not in checked.content
    assert saved.size == (48, 64)


def test_png_text_chunks_are_dropped_and_transparency_kept():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    checked = check_attachment(upload("screen.png", png("RGBA", pnginfo=info)))

    saved = Image.open(io.BytesIO(checked.content))
    assert b"alert" not in checked.content
    assert saved.getpixel((0, 0)) == (1, 2, 3, 128)  # still half transparent


@pytest.mark.django_db
def test_the_contact_form_stores_the_cleaned_image(client, settings):
    settings.RATE_LIMITS_ENABLED = False
    data = contact_data(ProblemType.OTHER)
    data["attachments"] = [upload("screenshot.png", png() + HTML)]

    response = client.post(CONTACT, data)

    assert response.status_code == 302
    stored = Attachment.objects.get()
    with stored.file.open("rb") as file:
        content = file.read()
    assert HTML not in content
    assert stored.size == len(content)


# PDFs -----------------------------------------------------------------------------------------


def test_a_plain_pdf_with_a_web_link_is_accepted_as_it_came():
    def link(writer):
        from pypdf.annotations import Link

        writer.add_annotation(0, Link(rect=(10, 10, 100, 30), url="https://wallet.example/"))

    content = pdf(link)
    checked = check_attachment(upload("statement.pdf", content))

    assert checked.content_type == "application/pdf"
    assert checked.content is None  # stored as it came
    assert checked.size == len(content)


def _launch(writer):
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject("/S"): NameObject("/Launch"),
            NameObject("/F"): TextStringObject("cmd.exe"),
        }
    )


def _page_action(writer):
    # A script that runs when the page is opened, in the page's additional actions.
    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {
            NameObject("/O"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/JavaScript"),
                    NameObject("/JS"): TextStringObject("app.alert(1)"),
                }
            )
        }
    )


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(
            hand_made_pdf(
                b"/Names << /JavaScript << /Names [(a) << /S /JavaScript /JS (app.alert(1)) >>]"
                b" >> >>"
            ),
            id="document-script",
        ),
        pytest.param(pdf(_launch), id="launch"),
        pytest.param(pdf(_page_action), id="page-open-action"),
        pytest.param(
            pdf(lambda writer: writer.add_attachment("invoice.exe", b"MZ" + b"\0" * 64)),
            id="embedded-file",
        ),
        pytest.param(
            hand_made_pdf(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"),
            id="escaped-names",
        ),
        pytest.param(hand_made_pdf(b"/Names << /#45mbeddedFiles 4 0 R >>"), id="escaped-key"),
        pytest.param(pdf(password="secret"), id="password"),
        pytest.param(pdf() + HTML + b"\n%%EOF\n", id="html-appended"),
    ],
)
@translation.override("en")
def test_a_pdf_with_active_content_is_refused(content):
    error = refused("statement.pdf", content)

    assert error.code == "unsupported_type"
    assert "scripts, actions, embedded files or a password" in error.messages[0]


def test_html_wrapped_as_a_pdf_is_refused():
    content = b"%PDF-1.4\n" + HTML + b"\n%%EOF\n"

    error = refused("statement.pdf", content)

    assert error.code in {"unsupported_type", "corrupt"}


def test_a_pdf_without_pages_is_refused_as_damaged():
    content = (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )

    assert refused("statement.pdf", content).code == "corrupt"


def test_the_refusal_is_in_chinese_for_a_chinese_customer():
    with translation.override("zh-hans"):
        message = refused("statement.pdf", pdf(_launch)).messages[0]

    assert "PDF" in message
    assert "scripts" not in message
