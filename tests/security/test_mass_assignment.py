"""Posting fields a form does not offer (status, sponsor, verified, is_staff…) changes nothing.

Every form here gets the same forged extras on top of its real fields; each test then reads
the rows back and checks that only what the form offers was taken.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from sponsors.models import Sponsor, VerificationStatus
from tests.factories import ClaimFactory, FulfilmentFactory, RegionFactory, WishFactory
from tests.security.conftest import admin_form_data, jpeg_upload
from wishes.models import (
    Claim,
    ClaimChannel,
    ClaimStatus,
    Consent,
    Fulfilment,
    FulfilmentPhoto,
    LetterStatus,
    ThankYouLetter,
    Wish,
    WishStatus,
)

pytestmark = pytest.mark.django_db

LONG_AGO = "2020-01-01 08:00:00"


@pytest.fixture
def elsewhere(other_school, other_sponsor):
    """Things of another school and sponsor that forged ids point at."""
    return {
        "wish": WishFactory(open=True, child__school=other_school),
        "claim": ClaimFactory(wish__child__school=other_school),
        "fulfilment": FulfilmentFactory(claim__wish__child__school=other_school),
        "sponsor": other_sponsor.sponsor_member.sponsor,
    }


@pytest.fixture
def forged(world, elsewhere, staff):
    """Fields no public or school form offers, with values an attacker would like."""
    return {
        "status": "fulfilled",
        "verified": "true",
        "is_staff": "true",
        "is_superuser": "true",
        "is_active": "true",
        "groups": "1",
        "user_permissions": "1",
        "sponsor": str(elsewhere["sponsor"].pk),
        "wish": str(elsewhere["wish"].pk),
        "claim": str(elsewhere["claim"].pk),
        "fulfilment": str(elsewhere["fulfilment"].pk),
        "published_at": LONG_AGO,
        "code": "FORGED-1",
        "channel": ClaimChannel.CITY_PLATFORM.value,
        "external_ref": "FORGED-REF",
        "claimant_name": "北蔡镇",
        "claimed_by": str(staff.pk),
        "cancel_reason": "forged",
        "decided_by": str(staff.pk),
        "decided_at": LONG_AGO,
        "rejection_reason": "forged",
        "recorded_by": str(staff.pk),
        "uploaded_by": str(staff.pk),
        "reviewed_by": str(staff.pk),
        "reviewed_at": LONG_AGO,
        "review_note": "forged",
        "is_public": "on",
        "withdrawn_at": LONG_AGO,
        "created_at": LONG_AGO,
        "note": "forged",
        "language": "en",
    }


def in_a_week() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=7)


def untouched(elsewhere: dict) -> None:
    """The other school's and sponsor's records are exactly as they were."""
    elsewhere["wish"].refresh_from_db()
    elsewhere["claim"].refresh_from_db()
    assert elsewhere["wish"].status == WishStatus.OPEN
    assert elsewhere["claim"].status == ClaimStatus.ACTIVE
    assert not elsewhere["sponsor"].claims.exclude(pk=elsewhere["claim"].pk).exists()
    assert not elsewhere["fulfilment"].letters.exists()
    assert not elsewhere["fulfilment"].photos.exists()


# --- the site's own forms ---------------------------------------------------------------------


def test_sign_up_takes_only_the_sign_up_fields(client, forged, elsewhere):
    region = RegionFactory(name="花木街道")
    data = {
        **forged,
        "kind": "unit",
        "name": "上海新国际博览中心",
        "unit_category": "enterprise",
        "region": str(region.pk),
        "contact_name": "王老师",
        "phone": "021-58881234",
        "email": "expo@example.org",
        "username": "expo",
        "password1": "Hua-mu-2026-expo",
        "password2": "Hua-mu-2026-expo",
    }

    response = client.post(reverse("sponsors:register"), data)

    assert response.status_code == 302
    user = get_user_model().objects.get(username="expo")
    assert (user.is_staff, user.is_superuser) == (False, False)
    assert not user.groups.exists()
    assert not user.user_permissions.exists()
    sponsor = Sponsor.objects.get(name="上海新国际博览中心")
    assert sponsor.status == VerificationStatus.PENDING
    assert (sponsor.decided_by, sponsor.decided_at) == (None, None)
    assert (sponsor.rejection_reason, sponsor.note) == ("", "")
    # The language is the one the visitor reads in, not a posted field.
    assert sponsor.language == "zh-hans"
    assert user.sponsor_member.sponsor == sponsor
    assert not elsewhere["sponsor"].members.filter(user=user).exists()


def test_a_claim_is_made_for_the_users_own_sponsor_online(client_for, world, forged, elsewhere):
    wish = world["open_wish"]
    data = {**forged, "promised_on": in_a_week().isoformat()}

    response = client_for("sponsor").post(reverse("wishes:claim", args=[wish.pk]), data)

    assert response.status_code == 302
    claim = Claim.objects.get(wish=wish)
    assert claim.sponsor == world["sponsor"]
    assert claim.status == ClaimStatus.ACTIVE
    assert (claim.channel, claim.external_ref, claim.claimant_name) == (
        ClaimChannel.ONLINE,
        "",
        "",
    )
    assert claim.claimed_by.username == "sponsor"
    assert claim.cancel_reason == ""
    assert claim.created_at > timezone.now() - datetime.timedelta(minutes=5)
    wish.refresh_from_db()
    assert wish.status == WishStatus.CLAIMED
    assert wish.code != "FORGED-1"
    assert wish.published_at > timezone.now() - datetime.timedelta(days=1)
    untouched(elsewhere)


def test_a_batch_claim_takes_only_the_ticked_wishes(client_for, world, forged, elsewhere):
    wish = world["open_wish"]
    data = {**forged, "wishes": [str(wish.pk)], "promised_on": in_a_week().isoformat()}

    response = client_for("sponsor").post(reverse("wishes:batch_claim"), data)

    assert response.status_code == 302
    claim = Claim.objects.get(wish=wish)
    assert claim.sponsor == world["sponsor"]
    assert (claim.status, claim.channel, claim.external_ref) == (
        ClaimStatus.ACTIVE,
        ClaimChannel.ONLINE,
        "",
    )
    assert claim.claimed_by.username == "sponsor"
    untouched(elsewhere)


def test_a_cancellation_only_cancels(client_for, world, forged, elsewhere):
    claim = world["claim"]
    data = {**forged, "reason": "计划有变"}

    response = client_for("sponsor").post(reverse("sponsors:cancel_claim", args=[claim.pk]), data)

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED
    assert claim.cancel_reason == "计划有变"
    assert claim.sponsor == world["sponsor"]
    assert claim.wish.status == WishStatus.OPEN
    assert (claim.channel, claim.external_ref) == (ClaimChannel.ONLINE, "")
    untouched(elsewhere)


def test_the_school_roster_records_fulfilment_as_the_coordinator(
    client_for, world, forged, elsewhere, coordinator
):
    claim = world["claim"]
    data = {
        **forged,
        "claims": [str(claim.pk)],
        "fulfilled_on": timezone.localdate().isoformat(),
        "note": "在圆梦专场送达",
    }

    response = client_for("coordinator").post(reverse("school:fulfil"), data)

    assert response.status_code == 302
    fulfilment = Fulfilment.objects.get(claim=claim)
    assert fulfilment.recorded_by == coordinator
    assert fulfilment.created_at > timezone.now() - datetime.timedelta(minutes=5)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FULFILLED
    assert claim.sponsor == world["sponsor"]
    untouched(elsewhere)


def test_an_uploaded_letter_waits_for_staff_and_belongs_to_the_page(
    client_for, world, forged, elsewhere, coordinator
):
    fulfilment = world["fulfilment"]
    data = {**forged, "transcription": "谢谢叔叔阿姨"}

    response = client_for("coordinator").post(reverse("school:letter", args=[fulfilment.pk]), data)

    assert response.status_code == 302
    letter = ThankYouLetter.objects.get(transcription="谢谢叔叔阿姨")
    assert letter.fulfilment == fulfilment
    assert letter.status == LetterStatus.PENDING
    assert letter.uploaded_by == coordinator
    assert (letter.reviewed_by, letter.reviewed_at, letter.review_note) == (None, None, "")
    assert not letter.preview
    untouched(elsewhere)


def test_uploaded_photos_stay_private(client_for, world, forged, elsewhere, coordinator):
    fulfilment = world["fulfilment"]
    data = {**forged, "images": jpeg_upload()}

    response = client_for("coordinator").post(reverse("school:photos", args=[fulfilment.pk]), data)

    assert response.status_code == 302
    photo = fulfilment.photos.latest("pk")
    assert photo.is_public is False
    assert photo.withdrawn_at is None
    assert photo.uploaded_by == coordinator
    untouched(elsewhere)


# --- the back office's change forms -----------------------------------------------------------


def admin_post(client, url: str, forged: dict, **edits) -> dict:
    """Post the admin form back as rendered, overlaid with the forged fields and the edits."""
    data = {**admin_form_data(client.get(url)), **forged, **edits, "_save": "1"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context.get("errors")
    return data


def test_the_wish_change_form_cannot_change_the_state(client_for, world, forged):
    wish = world["open_wish"]
    before = Wish.objects.filter(pk=wish.pk).values().get()
    client = client_for("staff")

    admin_post(
        client,
        reverse("admin:wishes_wish_change", args=[wish.pk]),
        {**forged, "status": WishStatus.DRAFT},
        estimated_value="150.00",
    )

    after = Wish.objects.filter(pk=wish.pk).values().get()
    assert str(after["estimated_value"]) == "150.00"
    for name in ["status", "published_at", "code", "child_id", "campaign_id", "created_at"]:
        assert after[name] == before[name], name


def test_a_wish_added_in_the_admin_starts_as_a_draft(client_for, world, forged):
    client = client_for("staff")
    child, campaign = world["open_wish"].child, world["open_wish"].campaign

    admin_post(
        client,
        reverse("admin:wishes_wish_add"),
        {**forged, "status": WishStatus.OPEN},
        child=str(child.pk),
        campaign=str(campaign.pk),
        category="books",
        child_words="我想要一个篮球",
        public_text="想要一个篮球",
        estimated_value="99.00",
    )

    wish = Wish.objects.get(child_words="我想要一个篮球")
    assert wish.status == WishStatus.DRAFT
    assert wish.published_at is None
    assert wish.code.startswith("HM")
    assert wish.code != "FORGED-1"


def test_the_claim_change_form_takes_only_its_editable_fields(client_for, world, forged, staff):
    claim = world["claim"]
    before = Claim.objects.filter(pk=claim.pk).values().get()
    client = client_for("staff")

    admin_post(
        client,
        reverse("admin:wishes_claim_change", args=[claim.pk]),
        {**forged, "status": ClaimStatus.CANCELLED},
        claimant_name="花木街道党群服务中心",
    )

    after = Claim.objects.filter(pk=claim.pk).values().get()
    assert after["claimant_name"] == "花木街道党群服务中心"
    for name in [
        "status",
        "sponsor_id",
        "wish_id",
        "channel",
        "claimed_by_id",
        "cancel_reason",
        "created_at",
    ]:
        assert after[name] == before[name], name


def test_the_sponsor_change_form_cannot_verify(client_for, world, forged):
    sponsor = world["pending_sponsor"]
    client = client_for("staff")

    admin_post(
        client,
        reverse("admin:sponsors_sponsor_change", args=[sponsor.pk]),
        {**forged, "status": VerificationStatus.VERIFIED},
        contact_name="赵老师",
    )

    sponsor.refresh_from_db()
    assert sponsor.contact_name == "赵老师"
    assert sponsor.status == VerificationStatus.PENDING
    assert (sponsor.decided_by, sponsor.decided_at, sponsor.rejection_reason) == (None, None, "")


def test_a_sponsor_added_in_the_admin_waits_for_verification(client_for, world, forged):
    client = client_for("staff")

    admin_post(
        client,
        reverse("admin:sponsors_sponsor_add"),
        {**forged, "status": VerificationStatus.VERIFIED},
        kind="individual",
        name="陈阿姨",
        unit_category="",
        contact_name="陈阿姨",
        phone="13900002222",
        email="chen@example.org",
        language="zh-hans",
    )

    sponsor = Sponsor.objects.get(name="陈阿姨")
    assert sponsor.status == VerificationStatus.PENDING
    assert sponsor.decided_by is None


def test_the_letter_change_form_cannot_approve(client_for, world, forged):
    letter = world["letter"]
    client = client_for("staff")

    admin_post(
        client,
        reverse("admin:wishes_thankyouletter_change", args=[letter.pk]),
        {**forged, "status": LetterStatus.APPROVED},
        transcription="谢谢您！",
    )

    letter.refresh_from_db()
    assert letter.transcription == "谢谢您！"
    assert letter.status == LetterStatus.PENDING
    assert (letter.reviewed_by, letter.reviewed_at) == (None, None)
    assert not letter.preview


def test_the_fulfilment_change_form_keeps_its_claim_and_recorder(client_for, world, forged):
    fulfilment = world["fulfilment"]
    before = Fulfilment.objects.filter(pk=fulfilment.pk).values().get()
    client = client_for("staff")

    admin_post(
        client,
        reverse("admin:wishes_fulfilment_change", args=[fulfilment.pk]),
        forged,
        note="补记",
    )

    after = Fulfilment.objects.filter(pk=fulfilment.pk).values().get()
    assert after["note"] == "补记"
    for name in ["claim_id", "recorded_by_id", "created_at"]:
        assert after[name] == before[name], name


def test_the_photo_page_cannot_publish_a_photo(client_for, world, forged):
    photo = world["photo"]
    client = client_for("staff")

    # Every field is read-only: publication is an action that checks the consent.
    client.post(
        reverse("admin:wishes_fulfilmentphoto_change", args=[photo.pk]),
        {**forged, "_save": "1"},
    )

    photo.refresh_from_db()
    assert photo.is_public is False
    assert photo.withdrawn_at is None
    assert FulfilmentPhoto.objects.filter(is_public=True).count() == 0


def test_a_recorded_consent_cannot_be_widened_or_withdrawn_by_the_form(client_for, world, forged):
    consent = Consent.objects.get(child=world["open_wish"].child)
    before = Consent.objects.filter(pk=consent.pk).values().get()
    client = client_for("staff")

    admin_post(
        client,
        reverse("admin:wishes_consent_change", args=[consent.pk]),
        {**forged, "publish_photos": "on", "child": str(world["draft_wish"].child_id)},
        given_by="张妈妈",
    )

    after = Consent.objects.filter(pk=consent.pk).values().get()
    assert after["given_by"] == "张妈妈"
    for name in ["child_id", "publish_photos", "publish_wish", "withdrawn_at", "keep_record"]:
        assert after[name] == before[name], name
