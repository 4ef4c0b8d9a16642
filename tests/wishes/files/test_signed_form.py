"""The scan of a guardian's signed consent form: staff only, logged, never cached or inline
when it is a PDF."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfWriter

from huamu.documents import clean_scanned_form
from tests.factories import ClaimFactory, ConsentFactory
from tests.security.conftest import signed_form_scan
from wishes.models import AccessAction, AccessLog, Consent
from wishes.services import attach_signed_form, erase_child

pytestmark = pytest.mark.django_db


def pdf_scan():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return clean_scanned_form(SimpleUploadedFile("form.pdf", buffer.getvalue()))


@pytest.fixture
def consent(sponsor, school, staff) -> Consent:
    """The consent of a child at `school` whose wish `sponsor` claimed, with its signed form."""
    claim = ClaimFactory(sponsor=sponsor.sponsor_member.sponsor, wish__child__school=school)
    recorded = claim.wish.child.consents.first() or ConsentFactory(child=claim.wish.child)
    return attach_signed_form(consent_id=recorded.pk, by=staff, scan=signed_form_scan())


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 404),
        ("plain_user", 404),
        ("sponsor", 404),
        ("coordinator", 404),
        ("other_coordinator", 404),
        ("bare_staff", 404),
        ("staff", 200),
    ],
)
def test_only_staff_open_the_signed_form_and_each_look_is_logged(
    role, status, consent, client_for, request
):
    AccessLog.objects.all().delete()

    response = client_for(role).get(reverse("files:signed_form", args=[consent.pk]))

    assert response.status_code == status
    logs = list(AccessLog.objects.all())
    if status == 200:
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, no-store"
        [log] = logs
        assert log.action == AccessAction.VIEW_SIGNED_FORM
        assert log.user == request.getfixturevalue(role)
        assert log.object_id == consent.pk
        assert list(log.children.values_list("pk", flat=True)) == [consent.child_id]
    else:
        assert logs == []


def test_a_pdf_form_is_sent_as_a_download(consent, client_for, staff):
    attach_signed_form(consent_id=consent.pk, by=staff, scan=pdf_scan())

    response = client_for("staff").get(reverse("files:signed_form", args=[consent.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"consent-{consent.pk}.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_a_consent_without_a_form_is_a_404_and_leaves_no_log(client_for):
    consent = ConsentFactory()

    response = client_for("staff").get(reverse("files:signed_form", args=[consent.pk]))

    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_erasing_the_child_removes_the_signed_form(
    consent, client_for, staff, django_capture_on_commit_callbacks
):
    name = consent.signed_form.name
    storage = consent.signed_form.storage

    with django_capture_on_commit_callbacks(execute=True):
        erase_child(child_id=consent.child_id, by=staff, reason="家长电话要求删除")

    consent.refresh_from_db()
    assert not consent.signed_form
    assert not storage.exists(name)
    response = client_for("staff").get(reverse("files:signed_form", args=[consent.pk]))
    assert response.status_code == 404
