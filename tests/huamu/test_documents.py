"""Checking a scanned form: a picture is re-encoded, a PDF is opened and looked through."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image
from pypdf import PdfWriter

from huamu.documents import MAX_PDF_PAGES, clean_scanned_form


def pdf(pages: int = 1, *, password: str = "") -> SimpleUploadedFile:
    writer = PdfWriter()
    for _page in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile("form.pdf", buffer.getvalue())


def refusal(upload) -> str:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        clean_scanned_form(upload)
    return " ".join(error.value.messages)


def test_a_pdf_is_kept_as_it_was_sent():
    upload = pdf(2)

    document = clean_scanned_form(upload)

    assert document.extension == "pdf"
    upload.seek(0)
    assert document.content.read() == upload.read()


def test_a_picture_is_re_encoded_without_its_metadata():
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "王小美的同意书"  # ImageDescription
    Image.new("RGB", (40, 60), (250, 250, 240)).save(buffer, "JPEG", exif=exif)

    document = clean_scanned_form(SimpleUploadedFile("form.jpg", buffer.getvalue()))

    assert document.extension == "jpg"
    assert "王小美".encode() not in document.content.read()


@pytest.mark.parametrize(
    "upload, message",
    [
        (lambda: SimpleUploadedFile("form.pdf", b""), "The file is empty."),
        (lambda: SimpleUploadedFile("form.doc", b"PK\x03\x04 not a form"), "Upload a PDF or"),
        (lambda: pdf(password="secret"), "protected by a password"),
        (lambda: pdf(MAX_PDF_PAGES + 1), "too many pages"),
        (lambda: SimpleUploadedFile("f.pdf", b"%PDF-1.7\n%%EOF\n"), "damaged or incomplete"),
    ],
)
def test_a_bad_form_is_refused_with_a_clear_message(upload, message):
    assert message in refusal(upload())
