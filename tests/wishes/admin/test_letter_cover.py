"""The back office's "cover areas" page of a letter's scan, and the draft of the sponsor's
copy: drawn areas (JSON from static/js/letter-masks.js) or typed ones, checked, recorded."""

import io
import json
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from huamu.images import clean_image
from tests.factories import FulfilmentFactory
from tests.huamu.test_sponsor_copy import SIGNATURE, green_pixels, letter_scan
from wishes.models import AccessAction, AccessLog, StatusChange, ThankYouLetter
from wishes.services import approve_letter, reject_letter, upload_letter

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter(coordinator) -> ThankYouLetter:
    upload = SimpleUploadedFile("letter.png", letter_scan(600, 800).read(), "image/png")
    return upload_letter(
        fulfilment_id=FulfilmentFactory().pk, by=coordinator, scan=clean_image(upload)
    )


def cover_url(letter: ThankYouLetter) -> str:
    return reverse("admin:wishes_thankyouletter_cover", args=[letter.pk])


def management(total: int = 2, initial: int = 0) -> dict[str, str]:
    return {
        "area-TOTAL_FORMS": str(total),
        "area-INITIAL_FORMS": str(initial),
        "area-MIN_NUM_FORMS": "0",
        "area-MAX_NUM_FORMS": "50",
    }


def changes_of(letter: ThankYouLetter) -> int:
    return StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(letter), object_id=letter.pk
    ).count()


def test_the_page_shows_the_scan_through_the_logged_file_view_and_no_inline_script(
    client_for, letter
):
    response = client_for("staff").get(cover_url(letter))

    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("files:letter_scan", args=[letter.pk]) in html
    assert reverse("files:letter_draft", args=[letter.pk]) in html
    assert re.search(r'<script src="[^"]*js/letter-masks\.js"', html)
    # Every script of the page comes from a file: none has a body, none an inline handler.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html)
    assert not re.search(r"\son(click|load|pointer\w+)=", html)
    assert 'style="' not in html
    # Without JavaScript the typed rows are there, and the hidden field JS fills.
    assert 'name="masks"' in html and 'name="area-0-x"' in html
    [log] = AccessLog.objects.filter(action=AccessAction.VIEW_LETTER, object_id=letter.pk)
    assert list(log.children.values_list("pk", flat=True)) == [
        letter.fulfilment.claim.wish.child_id
    ]


def test_the_letters_page_links_to_the_cover_page(client_for, letter):
    html = (
        client_for("staff")
        .get(reverse("admin:wishes_thankyouletter_change", args=[letter.pk]))
        .content.decode()
    )
    assert cover_url(letter) in html
    assert "已遮盖 0 个区域" in html


def test_drawn_areas_are_saved_and_recorded(client_for, letter, staff):
    client = client_for("staff")
    before = changes_of(letter)

    response = client.post(cover_url(letter), {"masks": json.dumps([SIGNATURE]), **management()})

    assert response.status_code == 302
    assert response["Location"] == cover_url(letter)
    letter.refresh_from_db()
    assert letter.masks == [SIGNATURE]
    assert changes_of(letter) == before + 1
    assert "遮盖区域已保存。" in client.get(cover_url(letter)).content.decode()


def test_typed_areas_count_when_no_script_filled_the_field(client_for, letter):
    data = {
        "masks": "",
        **management(),
        "area-0-x": "55",
        "area-0-y": "80",
        "area-0-w": "30",
        "area-0-h": "10",
    }

    response = client_for("staff").post(cover_url(letter), data)

    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.masks == [SIGNATURE]


def test_a_typed_area_can_be_removed(client_for, letter):
    client = client_for("staff")
    client.post(cover_url(letter), {"masks": json.dumps([SIGNATURE]), **management()})
    page = client.get(cover_url(letter)).content.decode()
    # The saved area is shown again in per cent.
    assert 'name="area-0-x" value="55.00"' in page

    data = {
        **management(total=3, initial=1),
        "area-0-x": "55",
        "area-0-y": "80",
        "area-0-w": "30",
        "area-0-h": "10",
        "area-0-DELETE": "on",
    }
    assert client.post(cover_url(letter), data).status_code == 302
    letter.refresh_from_db()
    assert letter.masks == []


@pytest.mark.parametrize(
    "data, message",
    [
        ({"masks": "[{broken"}, "无法读取遮盖区域，请重新绘制。"),
        (
            {"masks": json.dumps([{"x": 0.9, "y": 0, "w": 0.5, "h": 0.1}])},
            "区域 1 超出了扫描件范围",
        ),
        ({"masks": json.dumps([SIGNATURE] * 51)}, "每份扫描件最多可遮盖 50 个区域。"),
        ({"masks": "", "area-0-x": "10", "area-0-y": "10"}, "请填写该区域的全部四个数值"),
        (
            {"masks": "", "area-0-x": "90", "area-0-y": "0", "area-0-w": "50", "area-0-h": "5"},
            "区域 1 超出了扫描件范围",
        ),
        (
            {"masks": "", "area-0-x": "120", "area-0-y": "0", "area-0-w": "5", "area-0-h": "5"},
            "100",
        ),
    ],
)
def test_bad_areas_show_a_clear_message_and_save_nothing(client_for, letter, data, message):
    before = changes_of(letter)

    response = client_for("staff").post(cover_url(letter), {**management(), **data})

    assert response.status_code == 200
    assert message in response.content.decode()
    letter.refresh_from_db()
    assert letter.masks == []
    assert changes_of(letter) == before


def test_a_refused_letter_cannot_be_covered_and_says_why(client_for, letter, staff):
    reject_letter(letter_id=letter.pk, by=staff, reason="unreadable")

    response = client_for("staff").post(
        cover_url(letter), {"masks": json.dumps([SIGNATURE]), **management()}
    )

    assert response.status_code == 200
    assert "这封感谢信未通过审核" in response.content.decode()
    letter.refresh_from_db()
    assert letter.masks == []


def test_a_letter_without_a_scan_has_no_cover_page(client_for, coordinator):
    typed = upload_letter(
        fulfilment_id=FulfilmentFactory().pk, by=coordinator, scan=None, transcription="谢谢"
    )
    assert client_for("staff").get(cover_url(typed)).status_code == 404


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 302), ("sponsor", 302), ("coordinator", 302), ("bare_staff", 403)],
)
def test_only_staff_may_cover_areas(client_for, letter, role, status):
    client = client_for(role)
    assert client.get(cover_url(letter)).status_code == status
    response = client.post(cover_url(letter), {"masks": json.dumps([SIGNATURE]), **management()})
    assert response.status_code == status
    letter.refresh_from_db()
    assert letter.masks == []


def test_changing_areas_after_approval_replaces_what_the_sponsor_sees(
    client_for, letter, staff, sponsor, django_capture_on_commit_callbacks
):
    approve_letter(letter_id=letter.pk, by=staff)
    letter.refresh_from_db()
    with letter.preview.open("rb") as handle:
        assert green_pixels(Image.open(io.BytesIO(handle.read())).convert("RGB")) > 100

    with django_capture_on_commit_callbacks(execute=True):
        client_for("staff").post(
            cover_url(letter), {"masks": json.dumps([SIGNATURE]), **management()}
        )

    response = client_for("staff").get(reverse("files:letter_preview", args=[letter.pk]))
    served = Image.open(io.BytesIO(b"".join(response.streaming_content))).convert("RGB")
    assert green_pixels(served) == 0


def test_the_draft_is_the_sponsors_copy_as_saved_uncached_and_logged(client_for, letter):
    client = client_for("staff")
    url = reverse("files:letter_draft", args=[letter.pk])
    plain = Image.open(io.BytesIO(client.get(url).content)).convert("RGB")
    assert green_pixels(plain) > 100
    client.post(cover_url(letter), {"masks": json.dumps([SIGNATURE]), **management()})
    AccessLog.objects.all().delete()

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    covered = Image.open(io.BytesIO(response.content)).convert("RGB")
    assert green_pixels(covered) == 0
    [log] = AccessLog.objects.all()
    assert (log.action, log.object_id, log.path) == (AccessAction.VIEW_LETTER, letter.pk, url)
    # Nothing is stored: the draft is made afresh each time.
    letter.refresh_from_db()
    assert not letter.preview


def test_the_review_page_shows_the_scan_beside_the_text_with_the_approval_actions(
    client_for, letter
):
    html = (
        client_for("staff")
        .get(reverse("admin:wishes_thankyouletter_change", args=[letter.pk]))
        .content.decode()
    )

    scan = reverse("files:letter_scan", args=[letter.pk])
    assert re.search(rf'<img src="{re.escape(scan)}"', html)
    review = html.index('class="letter-review"')
    assert review < html.index('class="letter-review__fields"') < html.index("transcription")
    # Approving and refusing are the actions at the top of the same page.
    assert 'name="CHANGE_FORM-action"' in html
    assert '<option value="approve">' in html and '<option value="reject">' in html


def test_a_typed_letters_review_page_has_no_scan_column(client_for, coordinator):
    typed = upload_letter(
        fulfilment_id=FulfilmentFactory().pk, by=coordinator, scan=None, transcription="谢谢"
    )
    html = (
        client_for("staff")
        .get(reverse("admin:wishes_thankyouletter_change", args=[typed.pk]))
        .content.decode()
    )
    assert 'class="letter-review"' not in html
