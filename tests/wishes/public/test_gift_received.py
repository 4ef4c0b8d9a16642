"""The wish card's QR: the public wish page, with a one-tap "gift received" for staff and
the coordinator of the child's school only; the sponsor's pages then say so."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import ClaimFactory, DropOffPointFactory, SponsorMemberFactory
from tests.image_corpus import jpeg_bytes
from wishes.models import ClaimStatus, GiftReceipt, HandoverReminder, WishStatus
from wishes.services import receive_gift

pytestmark = pytest.mark.django_db

FORM_MARK = 'id="gift-received"'


@pytest.fixture
def claim(school, sponsor):
    """The sponsor's active claim on a wish of a child at `school`."""
    return ClaimFactory(
        wish__child__school=school,
        wish__child__real_name="李真名",
        sponsor=sponsor.sponsor_member.sponsor,
    )


def detail(client, claim):
    return client.get(reverse("wishes:detail", args=[claim.wish_id]))


def post(client, claim, **data):
    return client.post(reverse("wishes:gift_received", args=[claim.wish_id]), data)


@pytest.mark.parametrize("role", ["coordinator", "staff"])
def test_staff_and_the_schools_coordinator_get_the_one_tap_form(role, claim, client_for):
    html = detail(client_for(role), claim).content.decode()

    assert FORM_MARK in html
    assert reverse("wishes:gift_received", args=[claim.wish_id]) in html
    assert 'enctype="multipart/form-data"' in html
    assert "csrfmiddlewaretoken" in html
    # Still the public page: nothing of the child's record.
    assert "李真名" not in html
    assert claim.wish.child.address not in html


@pytest.mark.parametrize(
    "role", ["anonymous", "sponsor", "other_sponsor", "plain_user", "other_coordinator"]
)
def test_everybody_else_sees_the_public_page_as_before(role, claim, client_for):
    client = client_for(role)
    html = detail(client, claim).content.decode()
    public = detail(client_for("anonymous"), claim).content.decode()

    assert FORM_MARK not in html
    assert "gift-received/" not in html
    # The claim section is the public one, word for word.
    section = html.split('aria-labelledby="claim-heading"', 1)[1].split("</section>", 1)[0]
    assert section in public


def test_an_open_wish_offers_no_gift_form_even_to_staff(open_wish, client_for):
    client = client_for("staff")
    html = client.get(reverse("wishes:detail", args=[open_wish.pk])).content.decode()

    assert FORM_MARK not in html
    response = client.post(reverse("wishes:gift_received", args=[open_wish.pk]))
    assert response.status_code == 404


def test_the_coordinator_records_the_gift_in_one_tap(
    claim, client_for, coordinator, django_capture_on_commit_callbacks
):
    client = client_for("coordinator")

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, claim, note="")

    assert response.status_code == 302
    assert response["Location"] == reverse("wishes:detail", args=[claim.wish_id])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.GIFT_RECEIVED
    assert claim.gift_receipt.received_by == coordinator
    assert [m.to for m in mail.outbox] == [claim.sponsor.addresses()]
    html = client.get(response["Location"]).content.decode()
    assert "礼物已送达" in html
    assert "<form" not in html.split(FORM_MARK, 1)[1].split("</section>", 1)[0]


def test_staff_add_a_note_and_a_parcel_photo(claim, client_for):
    photo = SimpleUploadedFile("IMG_0001.jpg", jpeg_bytes(), content_type="image/jpeg")

    post(client_for("staff"), claim, note="外包装破损", photo=photo)

    receipt = GiftReceipt.objects.get()
    assert receipt.note == "外包装破损"
    assert receipt.photo.name.startswith("receipts/")


def test_a_second_tap_changes_nothing(claim, client_for):
    client = client_for("coordinator")
    post(client, claim)

    response = post(client, claim)

    assert GiftReceipt.objects.count() == 1
    [message] = [str(m) for m in get_messages(response.wsgi_request)][-1:]
    assert "已登记为已收到" in message


def test_a_note_naming_the_child_is_refused(claim, client_for):
    response = post(client_for("coordinator"), claim, note="给李真名的礼物")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE
    assert not GiftReceipt.objects.exists()
    assert mail.outbox == []
    assert any("李真名" in str(m) for m in get_messages(response.wsgi_request))


def test_a_file_that_is_not_a_picture_is_refused(claim, client_for):
    bad = SimpleUploadedFile("parcel.jpg", b"<html>nope</html>", content_type="image/jpeg")

    post(client_for("coordinator"), claim, photo=bad)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE
    assert not GiftReceipt.objects.exists()


@pytest.mark.parametrize("role", ["other_coordinator", "sponsor", "bare_staff"])
def test_others_are_refused_the_post(role, claim, client_for):
    assert post(client_for(role), claim).status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE


# --- what the sponsor sees --------------------------------------------------------------------


def _with_handover(claim):
    campaign = claim.wish.campaign
    campaign.drop_off_deadline = datetime.date(2026, 12, 20)
    campaign.save()
    return DropOffPointFactory(campaign=campaign)


def test_the_claim_page_says_where_and_by_when(claim, client_for):
    _with_handover(claim)

    html = client_for("sponsor").get(reverse("sponsors:claim", args=[claim.pk])).content.decode()

    assert "2026-12-20" in html
    assert "花木志愿者协会办公室" in html
    assert 'href="tel:021-58881234"' in html


def test_the_dashboard_says_where_and_by_when(claim, client_for):
    _with_handover(claim)

    html = client_for("sponsor").get(reverse("sponsors:dashboard")).content.decode()

    assert "2026-12-20" in html
    assert "浦东新区花木街道办公楼一楼" in html


def test_the_sponsor_sees_gift_received(claim, client_for, coordinator):
    _with_handover(claim)
    receive_gift(claim_id=claim.pk, by=coordinator, note="包装完好")
    client = client_for("sponsor")

    page = client.get(reverse("sponsors:claim", args=[claim.pk])).content.decode()
    dashboard = client.get(reverse("sponsors:dashboard")).content.decode()

    assert "礼物已送达" in page
    assert "包装完好" in page
    assert "取消认领" not in page
    assert "礼物已送达" in dashboard
    # The drop-off directions are for gifts still to bring.
    assert "花木志愿者协会办公室" not in page


def test_the_sponsor_cannot_cancel_a_received_gift(claim, client_for, coordinator):
    receive_gift(claim_id=claim.pk, by=coordinator)

    client_for("sponsor").post(reverse("sponsors:cancel_claim", args=[claim.pk]), {"reason": "x"})

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.GIFT_RECEIVED


# --- the staff list of missing gifts ----------------------------------------------------------


def _late(claim, days=3):
    campaign = claim.wish.campaign
    campaign.drop_off_deadline = timezone.localdate() - datetime.timedelta(days=days)
    campaign.save()


def _action(client, action, claims):
    return client.post(
        reverse("admin:wishes_missinggift_changelist"),
        {
            "action": action,
            "index": "0",
            "select_across": "0",
            "_selected_action": [str(c.pk) for c in claims],
        },
    )


def test_missing_gifts_are_listed_grouped_by_sponsor(claim, client_for, other_sponsor):
    _late(claim)
    other = ClaimFactory(
        wish__campaign=claim.wish.campaign, sponsor=other_sponsor.sponsor_member.sponsor
    )
    second = ClaimFactory(wish__campaign=claim.wish.campaign, sponsor=claim.sponsor)
    on_time = ClaimFactory(sponsor=claim.sponsor, wish__campaign__year=2030)

    response = client_for("staff").get(reverse("admin:wishes_missinggift_changelist"))

    rows = list(response.context["cl"].result_list)
    assert {row.pk for row in rows} == {claim.pk, other.pk, second.pk}
    assert on_time.pk not in {row.pk for row in rows}
    sponsors = [row.sponsor_id for row in rows]
    # One sponsor's gifts stand together.
    assert sponsors == sorted(sponsors, key=sponsors.index)
    html = response.content.decode()
    assert "李真名" not in html


def test_remind_action_mails_each_sponsor_once(
    claim, client_for, django_capture_on_commit_callbacks
):
    _late(claim)
    ClaimFactory(wish__campaign=claim.wish.campaign, sponsor=claim.sponsor)
    claims = list(claim.sponsor.claims.all())

    with django_capture_on_commit_callbacks(execute=True):
        _action(client_for("staff"), "remind", claims)

    assert len(mail.outbox) == 1
    assert HandoverReminder.objects.count() == 2


def test_release_action_opens_the_wish(claim, client_for):
    _late(claim)

    _action(client_for("staff"), "release", [claim])

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED
    assert claim.wish.status == WishStatus.OPEN


def test_a_received_gift_is_not_missing(claim, client_for, coordinator):
    _late(claim)
    receive_gift(claim_id=claim.pk, by=coordinator)

    response = client_for("staff").get(reverse("admin:wishes_missinggift_changelist"))

    assert list(response.context["cl"].result_list) == []


def test_members_of_the_sponsor_are_not_let_in(claim, client_for):
    SponsorMemberFactory(sponsor=claim.sponsor)
    response = client_for("sponsor").get(reverse("admin:wishes_missinggift_changelist"))
    assert response.status_code == 302


@pytest.mark.parametrize("role", ["anonymous", "sponsor"])
def test_the_public_and_sponsors_pay_no_query_for_the_offer(role, claim, client_for):
    client = client_for(role)
    with CaptureQueriesContext(connection) as queries:
        detail(client, claim)

    # The offer's read (the live claim with its receipt) runs for staff and coordinators only.
    assert not [q for q in queries.captured_queries if "wishes_giftreceipt" in q["sql"]]


def test_the_offer_reads_the_receipt_for_the_coordinator(claim, client_for):
    # The same check seen from the other side: without it the test above proves nothing.
    with CaptureQueriesContext(connection) as queries:
        detail(client_for("coordinator"), claim)

    assert [q for q in queries.captured_queries if "wishes_giftreceipt" in q["sql"]]


def test_the_missing_gifts_page_heads_each_sponsors_group_with_its_name_and_count(
    claim, client_for, other_sponsor
):
    _late(claim)
    other_unit = other_sponsor.sponsor_member.sponsor
    ClaimFactory(wish__campaign=claim.wish.campaign, sponsor=other_unit)
    ClaimFactory(wish__campaign=claim.wish.campaign, sponsor=claim.sponsor)

    html = client_for("staff").get(reverse("admin:wishes_missinggift_changelist")).content.decode()

    groups = html.split('<tbody class="sponsor-group">')[1:]
    assert len(groups) == 2
    heads = {group.split("</th>", 1)[0] for group in groups}
    assert any(claim.sponsor.name in head and "2 件礼物未送达" in head for head in heads)
    assert any(other_unit.name in head and "1 件礼物未送达" in head for head in heads)
    # Each group holds its own sponsor's rows and their selection boxes.
    ours = next(group for group in groups if claim.sponsor.name in group.split("</th>", 1)[0])
    assert ours.count('name="_selected_action"') == 2


# --- the parcel photo -------------------------------------------------------------------------


@pytest.fixture
def receipt_with_photo(claim, staff):
    from huamu.images import clean_image

    photo = SimpleUploadedFile("IMG_0001.jpg", jpeg_bytes(), content_type="image/jpeg")
    return receive_gift(claim_id=claim.pk, by=staff, photo=clean_image(photo))


@pytest.mark.parametrize(
    "role, status",
    [
        ("staff", 200),
        ("coordinator", 200),
        ("other_coordinator", 404),
        ("sponsor", 404),
        ("other_sponsor", 404),
        ("plain_user", 404),
        ("bare_staff", 404),
        ("anonymous", 404),
    ],
)
def test_the_parcel_photo_is_for_staff_and_the_schools_coordinator(
    role, status, receipt_with_photo, client_for
):
    from wishes.models import AccessLog

    response = client_for(role).get(reverse("files:parcel_photo", args=[receipt_with_photo.pk]))

    assert response.status_code == status
    logged = AccessLog.objects.filter(object_id=receipt_with_photo.pk).exists()
    assert logged is (status == 200)
    if status == 200:
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, no-store"


def test_the_receipts_admin_page_shows_the_parcel_photo(receipt_with_photo, client_for):
    page = client_for("staff").get(
        reverse("admin:wishes_giftreceipt_change", args=[receipt_with_photo.pk])
    )
    assert reverse("files:parcel_photo", args=[receipt_with_photo.pk]) in page.content.decode()
    assert receipt_with_photo.photo.name not in page.content.decode()
