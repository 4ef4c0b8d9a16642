"""Gift hand-over: receiving a gift, the claim states around it, reminders, missing gifts."""

import datetime
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone, translation

from huamu.errors import TransitionError
from huamu.images import clean_image
from tests.factories import (
    CampaignFactory,
    ClaimFactory,
    DropOffPointFactory,
    EventFactory,
    SchoolFactory,
    SponsorFactory,
    SponsorMemberFactory,
)
from tests.image_corpus import jpeg_bytes
from wishes.audit import history_of
from wishes.claiming.follow_up import overdue_claims
from wishes.claiming.handover import (
    handover_for,
    missing_gifts,
    remind_missing_gifts,
    send_handover_reminders,
)
from wishes.models import (
    Claim,
    ClaimStatus,
    GiftReceipt,
    HandoverReminder,
    StatusChange,
    WishStatus,
)
from wishes.public.selectors import impact_numbers
from wishes.services import (
    cancel_claim,
    claim_wish,
    receive_gift,
    record_fulfilment,
    release_missing_gift,
    withdraw_wish,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 7)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def claim(school):
    """An active claim on a wish of a child at `school`, its sponsor writing in English."""
    sponsor = SponsorFactory(verified=True, language="en", contact_name="Ms Li")
    return ClaimFactory(wish__child__school=school, sponsor=sponsor)


def _upload(name="parcel.jpg"):
    return SimpleUploadedFile(name, jpeg_bytes(), content_type="image/jpeg")


# --- receive_gift ---------------------------------------------------------------------------


def test_coordinator_of_the_school_records_the_gift(
    claim, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        receipt = receive_gift(claim_id=claim.pk, by=coordinator, note="Box a little dented")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.GIFT_RECEIVED
    assert claim.wish.status == WishStatus.CLAIMED
    assert receipt.received_by == coordinator
    assert receipt.note == "Box a little dented"
    change = list(history_of(claim))[-1]
    assert (change.from_status, change.to_status) == ("active", "gift_received")
    assert change.by == coordinator
    assert change.at is not None
    [message] = mail.outbox
    assert message.to == claim.sponsor.addresses()
    assert claim.wish.code in message.subject
    assert "Box a little dented" in message.body


def test_staff_record_the_gift_with_a_parcel_photo(claim, staff, settings):
    receipt = receive_gift(claim_id=claim.pk, by=staff, photo=clean_image(_upload()))

    assert receipt.photo.name.startswith("receipts/")
    assert (settings.MEDIA_ROOT / receipt.photo.name).exists()
    assert "parcel" not in receipt.photo.name


@pytest.mark.parametrize("role", ["other_coordinator", "sponsor", "bare_staff", "plain_user"])
def test_others_may_not_record_the_gift(role, claim, request):
    user = request.getfixturevalue(role)
    before = StatusChange.objects.count()

    with pytest.raises(TransitionError, match="Only the association's staff or the coordinator"):
        receive_gift(claim_id=claim.pk, by=user)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE
    assert StatusChange.objects.count() == before
    assert not GiftReceipt.objects.exists()


def test_a_gift_is_received_once(claim, coordinator):
    receive_gift(claim_id=claim.pk, by=coordinator)

    with pytest.raises(TransitionError, match="already recorded as received"):
        receive_gift(claim_id=claim.pk, by=coordinator)
    assert GiftReceipt.objects.count() == 1


@pytest.mark.parametrize("status", [ClaimStatus.CANCELLED, ClaimStatus.FULFILLED])
def test_a_closed_claim_cannot_receive_a_gift(status, claim, staff):
    Claim.objects.filter(pk=claim.pk).update(status=status, cancel_reason="x")

    with pytest.raises(TransitionError, match="Only the gift of an active claim"):
        receive_gift(claim_id=claim.pk, by=staff)


def test_a_note_naming_the_child_is_refused_and_nothing_is_kept(claim, staff, settings):
    before = StatusChange.objects.count()

    with pytest.raises(TransitionError, match="The note on the gift contains"):
        receive_gift(
            claim_id=claim.pk,
            by=staff,
            note=f"For {claim.wish.child.real_name}",
            photo=clean_image(_upload()),
        )

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE
    assert StatusChange.objects.count() == before
    assert not GiftReceipt.objects.exists()
    # The photo written before the refusal is removed again.
    assert not list((settings.MEDIA_ROOT / "receipts").rglob("*.*"))


# --- the claim's other transitions with the new state --------------------------------------


def test_a_received_gift_is_fulfilled(claim, coordinator, staff):
    receive_gift(claim_id=claim.pk, by=coordinator)

    record_fulfilment(claim_id=claim.pk, by=staff, fulfilled_on=timezone.localdate())

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FULFILLED
    assert claim.wish.status == WishStatus.FULFILLED


def test_an_active_claim_is_still_fulfilled_directly(claim, staff):
    record_fulfilment(claim_id=claim.pk, by=staff, fulfilled_on=timezone.localdate())

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FULFILLED


def test_the_sponsor_cannot_cancel_once_the_gift_arrived(claim, coordinator):
    member = SponsorMemberFactory(sponsor=claim.sponsor).user
    receive_gift(claim_id=claim.pk, by=coordinator)

    with pytest.raises(TransitionError, match="has already arrived"):
        cancel_claim(claim_id=claim.pk, by=member, reason="Changed my mind")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.GIFT_RECEIVED


def test_staff_may_cancel_a_received_gift_and_the_wish_opens(claim, coordinator, staff):
    receive_gift(claim_id=claim.pk, by=coordinator)

    cancel_claim(claim_id=claim.pk, by=staff, reason="Wrong item, sponsor agreed")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED
    assert claim.wish.status == WishStatus.OPEN


def test_a_received_gift_still_holds_the_wish(claim, coordinator):
    """The partial unique index counts a received gift as the wish's live claim."""
    receive_gift(claim_id=claim.pk, by=coordinator)
    claim.wish.status = WishStatus.OPEN
    claim.wish.save(update_fields=["status"])

    with pytest.raises(TransitionError, match="claimed by someone else"):
        claim_wish(wish_id=claim.wish_id, sponsor=SponsorFactory(verified=True), by=None)
    assert Claim.objects.filter(wish=claim.wish).count() == 1


def test_withdrawing_the_wish_cancels_a_received_gift(claim, coordinator, staff):
    receive_gift(claim_id=claim.pk, by=coordinator)

    withdraw_wish(wish_id=claim.wish_id, by=staff, reason="Family moved away")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED


# --- where and by when ------------------------------------------------------------------------


def test_the_handover_lists_the_points_for_the_wish_and_the_event_deadline(claim, school):
    campaign = claim.wish.campaign
    campaign.drop_off_deadline = datetime.date(2026, 12, 20)
    campaign.save()
    office = DropOffPointFactory(campaign=campaign)
    gate = DropOffPointFactory(campaign=campaign, name="传达室", school=school)
    DropOffPointFactory(campaign=campaign, name="别校传达室", school=SchoolFactory())
    DropOffPointFactory(campaign=campaign, name="停用", is_active=False)
    event = EventFactory(campaign=campaign, drop_off_deadline=datetime.date(2026, 12, 12))
    other_event = EventFactory(campaign=campaign)
    at_event = DropOffPointFactory(campaign=campaign, name="活动现场", event=event)
    DropOffPointFactory(campaign=campaign, name="别的活动", event=other_event)

    assert handover_for(claim.wish_id).deadline == datetime.date(2026, 12, 20)
    assert handover_for(claim.wish_id).points == [gate, office]

    event.wishes.add(claim.wish)

    handover = handover_for(claim.wish_id)
    assert handover.deadline == datetime.date(2026, 12, 12)
    assert sorted(p.pk for p in handover.points) == sorted([office.pk, gate.pk, at_event.pk])


def test_the_confirmation_mail_says_where_and_by_when(
    open_wish, django_capture_on_commit_callbacks
):
    campaign = open_wish.campaign
    campaign.drop_off_deadline = datetime.date(2026, 12, 20)
    campaign.save()
    DropOffPointFactory(campaign=campaign)
    sponsor = SponsorFactory(verified=True, language="en")

    with django_capture_on_commit_callbacks(execute=True):
        claim_wish(wish_id=open_wish.pk, sponsor=sponsor, by=None)

    [message] = [m for m in mail.outbox if m.to == sponsor.addresses()]
    assert "2026-12-20" in message.body
    assert "花木志愿者协会办公室" in message.body
    assert "021-58881234" in message.body


# --- reminders and missing gifts ------------------------------------------------------------


def _due(claim, deadline):
    campaign = claim.wish.campaign
    campaign.drop_off_deadline = deadline
    campaign.save()
    DropOffPointFactory(campaign=campaign)


def test_the_sponsor_is_reminded_once_before_the_deadline(
    claim, django_capture_on_commit_callbacks
):
    _due(claim, TODAY + datetime.timedelta(days=3))

    with django_capture_on_commit_callbacks(execute=True):
        first = send_handover_reminders(TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        second = send_handover_reminders(TODAY + datetime.timedelta(days=1))

    assert list(first) == [claim.sponsor_id]
    assert second == {}
    [message] = mail.outbox
    assert claim.wish.code in message.body
    assert "花木志愿者协会办公室" in message.body
    assert HandoverReminder.objects.get().deadline == TODAY + datetime.timedelta(days=3)


def test_no_reminder_too_early_after_receipt_or_past_the_deadline(claim, coordinator):
    _due(claim, TODAY + datetime.timedelta(days=4))
    assert send_handover_reminders(TODAY) == {}

    late = ClaimFactory(wish__campaign=claim.wish.campaign)
    assert send_handover_reminders(TODAY + datetime.timedelta(days=5)) == {}

    receive_gift(claim_id=claim.pk, by=coordinator)
    assert list(send_handover_reminders(TODAY + datetime.timedelta(days=1))) == [late.sponsor_id]


def test_the_daily_command_sends_the_reminder_once(claim, django_capture_on_commit_callbacks):
    _due(claim, timezone.localdate() + datetime.timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("follow_up_claims", stdout=(out := io.StringIO()))
        call_command("follow_up_claims", stdout=io.StringIO())

    assert "Drop-off reminder mails sent: 1" in out.getvalue()
    assert len([m for m in mail.outbox if m.to == claim.sponsor.addresses()]) == 1


def test_missing_gifts_are_active_claims_past_the_deadline(claim, staff):
    _due(claim, timezone.localdate() - datetime.timedelta(days=1))
    received = ClaimFactory(wish__campaign=claim.wish.campaign)
    receive_gift(claim_id=received.pk, by=staff)
    # Another campaign, whose deadline is today: not late yet.
    due_today = ClaimFactory(wish__campaign=CampaignFactory(year=2027))
    _due(due_today, timezone.localdate())

    assert list(missing_gifts()) == [claim]


def test_staff_remind_missing_gifts_again_each_time(
    claim, staff, django_capture_on_commit_callbacks
):
    _due(claim, timezone.localdate() - datetime.timedelta(days=2))
    on_time = ClaimFactory(wish__campaign=CampaignFactory(year=2027))

    with django_capture_on_commit_callbacks(execute=True):
        reminded = remind_missing_gifts(claim_ids=[claim.pk, on_time.pk], by=staff)
        remind_missing_gifts(claim_ids=[claim.pk], by=staff)

    assert reminded == [claim]
    assert len(mail.outbox) == 2
    assert "not arrived" in mail.outbox[0].subject
    assert HandoverReminder.objects.filter(sent_by=staff).count() == 2


def test_release_a_missing_gift_opens_the_wish_and_tells_the_sponsor(
    claim, staff, django_capture_on_commit_callbacks
):
    _due(claim, timezone.localdate() - datetime.timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        release_missing_gift(claim_id=claim.pk, by=staff)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED
    assert claim.wish.status == WishStatus.OPEN
    assert "drop-off deadline" in claim.cancel_reason
    [to_sponsor] = [m for m in mail.outbox if m.to == claim.sponsor.addresses()]
    assert "did not reach a drop-off point" in to_sponsor.body


def test_release_refuses_a_gift_that_is_not_late(claim, staff):
    _due(claim, timezone.localdate())

    with pytest.raises(TransitionError, match="not missing"):
        release_missing_gift(claim_id=claim.pk, by=staff)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE


def test_a_received_gift_still_counts_its_sponsor_in_the_impact_numbers(claim, coordinator):
    receive_gift(claim_id=claim.pk, by=coordinator)

    assert impact_numbers().units == 1


def test_a_received_gift_is_neither_overdue_nor_reminded_of_its_promised_date(claim, coordinator):
    Claim.objects.filter(pk=claim.pk).update(promised_on=TODAY - datetime.timedelta(days=5))
    receive_gift(claim_id=claim.pk, by=coordinator)

    assert list(overdue_claims(TODAY)) == []
