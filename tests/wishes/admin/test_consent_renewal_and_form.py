"""The back office for consents: the end of validity, the renewal list and its dashboard line,
and the scan of the signed paper form."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from tests.factories import ChildFactory, ConsentFactory
from tests.security.conftest import admin_form_data
from wishes.audit import history_of
from wishes.models import RENEWAL_DAYS, Consent
from wishes.reports.dashboard import staff_dashboard

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:wishes_consent_changelist")


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def jpeg(name: str = "form.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 110), (250, 250, 240)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/jpeg")


def pdf_bytes(*, script: bool = False) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if script:
        # A script run as the file opens.
        writer.root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('hi');"),
            }
        )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def change_data(client, consent: Consent, **changes) -> dict:
    """The consent's change form as rendered (with its inlines), overlaid with `changes`."""
    page = client.get(reverse("admin:wishes_consent_change", args=[consent.pk]))
    data = admin_form_data(page)
    data.pop("signed_form_upload", None)
    return {**data, **changes, "_save": "1"}


# --- renewal ---------------------------------------------------------------------------------


@pytest.fixture
def renewal_cast():
    """Two consents to renew (one expiring, one expired), one renewed, one far from expiry."""
    expiring = ConsentFactory(valid_until=days(10))
    expired = ConsentFactory(given_on=days(-300), valid_until=days(-2))
    renewed = ConsentFactory(given_on=days(-300), valid_until=days(-2))
    ConsentFactory(child=renewed.child, valid_until=days(300))
    ConsentFactory(valid_until=days(RENEWAL_DAYS + 5))
    return {"expiring": expiring, "expired": expired}


@pytest.mark.parametrize(
    "value, expected",
    [("due", {"expiring", "expired"}), ("expiring", {"expiring"}), ("expired", {"expired"})],
)
def test_the_renewal_filter_lists_the_consents_to_renew(client_for, renewal_cast, value, expected):
    response = client_for("staff").get(CHANGELIST, {"renewal": value})

    assert response.status_code == 200
    shown = set(response.context["cl"].result_list)
    assert shown == {renewal_cast[name] for name in expected}


def test_the_dashboard_counts_the_consents_to_renew_and_links_to_them(
    client_for, staff, renewal_cast
):
    [task] = [task for task in staff_dashboard(staff).staff_tasks if "renewal=due" in task.url]

    assert task.count == 2
    response = client_for("staff").get(task.url)
    assert response.context["cl"].result_count == 2
    index = client_for("staff").get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").text
    assert task.url in index
    assert "consents to renew" in index


def test_the_dashboard_leaves_the_line_out_for_staff_who_cannot_see_consents(bare_staff):
    assert not [t for t in staff_dashboard(bare_staff).staff_tasks if "renewal" in t.url]


# --- the end of validity ---------------------------------------------------------------------


def test_a_new_consent_in_the_admin_defaults_to_the_end_of_the_school_year(client_for):
    child = ChildFactory()
    response = client_for("staff").post(
        reverse("admin:wishes_consent_add"),
        {
            "child": str(child.pk),
            "given_on": "2026-10-01",
            "method": "paper",
            "given_by": "张大明",
            "keep_record": "on",
            "share_letter_with_sponsor": "on",
            "_save": "1",
        },
    )

    assert response.status_code == 302
    consent = Consent.objects.get(child=child)
    assert consent.valid_until == datetime.date(2027, 8, 31)
    assert consent.share_letter_with_sponsor


def test_staff_move_the_end_of_validity_and_the_history_says_so(client_for):
    consent = ConsentFactory(valid_until=days(10))
    Consent.objects.filter(pk=consent.pk).update(renewal_reported_at=timezone.now())
    client = client_for("staff")
    url = reverse("admin:wishes_consent_change", args=[consent.pk])

    response = client.post(url, change_data(client, consent, valid_until=days(200).isoformat()))

    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.valid_until == days(200)
    assert consent.renewal_reported_at is None
    [entry] = history_of(consent)
    assert days(10).isoformat() in entry.note
    assert days(200).isoformat() in entry.note


def test_an_end_before_the_consent_was_given_is_refused_and_changes_nothing(client_for):
    consent = ConsentFactory(given_on=days(-5), valid_until=days(10))
    client = client_for("staff")
    url = reverse("admin:wishes_consent_change", args=[consent.pk])

    response = client.post(
        url,
        change_data(client, consent, valid_until=days(-6).isoformat()),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 200
    assert "同意书的有效期不能早于签署日期" in response.text
    consent.refresh_from_db()
    assert consent.valid_until == days(10)


# --- the signed form -------------------------------------------------------------------------


def test_staff_attach_the_signed_form_and_only_the_link_shows(client_for):
    consent = ConsentFactory()
    client = client_for("staff")
    url = reverse("admin:wishes_consent_change", args=[consent.pk])

    response = client.post(url, change_data(client, consent, signed_form_upload=jpeg("王.jpg")))

    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.signed_form.name.startswith("consents/")
    assert "王" not in consent.signed_form.name
    assert consent.signed_form.storage.exists(consent.signed_form.name)
    page = client.get(url).text
    assert reverse("files:signed_form", args=[consent.pk]) in page
    assert history_of(consent).last().note


def test_replacing_the_signed_form_removes_the_old_file(
    client_for, django_capture_on_commit_callbacks
):
    consent = ConsentFactory()
    client = client_for("staff")
    url = reverse("admin:wishes_consent_change", args=[consent.pk])
    client.post(url, change_data(client, consent, signed_form_upload=jpeg()))
    consent.refresh_from_db()
    old = consent.signed_form.name

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, change_data(client, consent, signed_form_upload=pdf_bytes_upload()))

    consent.refresh_from_db()
    assert consent.signed_form.name.endswith(".pdf")
    assert not consent.signed_form.storage.exists(old)


def pdf_bytes_upload(*, script: bool = False) -> SimpleUploadedFile:
    return SimpleUploadedFile("form.pdf", pdf_bytes(script=script), "application/pdf")


@pytest.mark.parametrize(
    "upload, message",
    [
        (lambda: SimpleUploadedFile("form.txt", b"hello", "text/plain"), "请上传 PDF 文件"),
        (lambda: pdf_bytes_upload(script=True), "含有脚本或附加文件"),
        (
            lambda: SimpleUploadedFile("form.pdf", b"%PDF-1.4\n1 0 obj <<", "application/pdf"),
            "PDF 文件已损坏或不完整",
        ),
        (
            lambda: SimpleUploadedFile("form.pdf", b"%PDF-" + b"0" * 3000, "application/pdf"),
            "文件过大",
        ),
    ],
)
def test_a_bad_signed_form_is_refused_with_a_translated_message(
    client_for, settings, upload, message
):
    settings.HUAMU_MAX_UPLOAD_BYTES = 2000
    consent = ConsentFactory()
    client = client_for("staff")
    url = reverse("admin:wishes_consent_change", args=[consent.pk])

    response = client.post(
        url,
        change_data(client, consent, signed_form_upload=upload()),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 200
    assert message in response.text
    consent.refresh_from_db()
    assert not consent.signed_form


def test_the_child_page_records_a_consent_with_its_signed_form(client_for):
    child = ChildFactory()
    client = client_for("staff")
    url = reverse("admin:wishes_child_change", args=[child.pk])
    data = admin_form_data(client.get(url))
    data.update(
        {
            "consents-TOTAL_FORMS": "1",
            "consents-0-keep_record": "on",
            "consents-0-publish_wish": "on",
            "consents-0-method": "paper",
            "consents-0-given_on": "2026-10-01",
            "consents-0-given_by": "张大明",
            "consents-0-signed_form_upload": jpeg(),
            "_save": "1",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    consent = Consent.objects.get(child=child)
    assert consent.valid_until == datetime.date(2027, 8, 31)
    assert consent.signed_form
    assert consent.collected_by.username == "staff"
