"""Verifying and rejecting sponsors: new state, audit trail, refusals and the mail they get."""

from copy import deepcopy

import pytest
from django.core import mail
from django.utils import timezone, translation

from huamu.errors import TransitionError
from sponsors.models import VerificationStatus
from sponsors.services import reject_sponsor, verify_sponsor
from tests.factories import SponsorFactory, SponsorMemberFactory, UserFactory
from wishes.audit import history_of
from wishes.models import StatusChange

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # Refusal messages are matched in English, whatever catalogues exist.
    with translation.override("en"):
        yield


@pytest.fixture
def strict_templates(settings):
    """Render a missing template variable visibly, so a typo in a mail template fails."""
    templates = deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["string_if_invalid"] = "<<missing %s>>"
    settings.TEMPLATES = templates


@pytest.fixture
def pending():
    """A unit waiting for verification, with one member and e-mail in English."""
    return SponsorMemberFactory(
        user__username="pending_member",
        sponsor=SponsorFactory(name="Science Museum", contact_name="Ms Li", language="en"),
    ).sponsor


def changes(sponsor) -> list[tuple]:
    return [(c.from_status, c.to_status, c.by, c.note) for c in history_of(sponsor)]


def assert_unchanged(sponsor, status: str, decided_at, change_count: int) -> None:
    sponsor.refresh_from_db()
    assert sponsor.status == status
    assert sponsor.decided_at == decided_at
    assert StatusChange.objects.count() == change_count


# --- verify_sponsor -------------------------------------------------------------------------


def test_verify_sponsor_lets_a_pending_sponsor_claim(staff, pending):
    before = timezone.now()

    verify_sponsor(sponsor_id=pending.pk, by=staff)

    pending.refresh_from_db()
    assert pending.status == VerificationStatus.VERIFIED
    assert pending.is_verified
    assert pending.decided_by == staff
    assert before <= pending.decided_at <= timezone.now()
    assert changes(pending) == [
        (VerificationStatus.PENDING, VerificationStatus.VERIFIED, staff, "")
    ]
    assert StatusChange.objects.get().subject == pending


def test_verify_sponsor_reverses_an_earlier_rejection_and_clears_its_reason(staff):
    rejected = SponsorFactory(status=VerificationStatus.REJECTED, rejection_reason="资料不全")

    verify_sponsor(sponsor_id=rejected.pk, by=staff)

    rejected.refresh_from_db()
    assert rejected.status == VerificationStatus.VERIFIED
    assert rejected.rejection_reason == ""
    assert changes(rejected) == [
        (VerificationStatus.REJECTED, VerificationStatus.VERIFIED, staff, "")
    ]


def test_verify_sponsor_mails_sponsor_and_members_in_english_after_commit(
    staff, pending, django_capture_on_commit_callbacks, strict_templates
):
    with django_capture_on_commit_callbacks() as callbacks:
        verify_sponsor(sponsor_id=pending.pk, by=staff)
    assert mail.outbox == []
    for callback in callbacks:
        callback()

    [message] = mail.outbox
    assert message.to == sorted([pending.email, "pending_member@example.org"])
    assert message.subject == "Science Museum is verified: you can now claim wishes"
    assert "Dear Ms Li," in message.body
    assert "<<missing" not in message.subject + message.body


def test_verify_sponsor_is_refused_when_already_verified(staff):
    verified = SponsorFactory(verified=True)

    with pytest.raises(TransitionError, match="already verified"):
        verify_sponsor(sponsor_id=verified.pk, by=staff)

    assert_unchanged(verified, VerificationStatus.VERIFIED, None, 0)


def test_verify_sponsor_of_an_unknown_sponsor_is_refused(staff):
    with pytest.raises(TransitionError, match="does not exist"):
        verify_sponsor(sponsor_id=999_999, by=staff)


# --- reject_sponsor -------------------------------------------------------------------------


def test_reject_sponsor_refuses_a_pending_sponsor_with_the_reason(staff, pending):
    reject_sponsor(sponsor_id=pending.pk, by=staff, reason="  无法核实单位信息 ")

    pending.refresh_from_db()
    assert pending.status == VerificationStatus.REJECTED
    assert pending.rejection_reason == "无法核实单位信息"
    assert pending.decided_by == staff
    assert pending.decided_at is not None
    assert changes(pending) == [
        (VerificationStatus.PENDING, VerificationStatus.REJECTED, staff, "无法核实单位信息")
    ]


def test_reject_sponsor_can_withdraw_a_verification(staff):
    verified = SponsorFactory(verified=True)

    reject_sponsor(sponsor_id=verified.pk, by=staff, reason="单位已注销")

    verified.refresh_from_db()
    assert verified.status == VerificationStatus.REJECTED
    assert changes(verified) == [
        (VerificationStatus.VERIFIED, VerificationStatus.REJECTED, staff, "单位已注销")
    ]


def test_reject_sponsor_mails_the_reason_in_english_after_commit(
    staff, pending, django_capture_on_commit_callbacks, strict_templates
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reject_sponsor(sponsor_id=pending.pk, by=staff, reason="Unknown unit")

    assert len(callbacks) == 1
    [message] = mail.outbox
    assert message.subject == "Your registration as Science Museum was not verified"
    assert "Unknown unit" in message.body
    assert "<<missing" not in message.subject + message.body


def test_reject_sponsor_needs_a_reason(staff, pending, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(TransitionError, match="reason"),
    ):
        reject_sponsor(sponsor_id=pending.pk, by=staff, reason=" \n ")

    assert callbacks == []
    assert_unchanged(pending, VerificationStatus.PENDING, None, 0)


def test_reject_sponsor_is_refused_when_already_rejected(staff):
    rejected = SponsorFactory(status=VerificationStatus.REJECTED, rejection_reason="资料不全")

    with pytest.raises(TransitionError, match="already rejected"):
        reject_sponsor(sponsor_id=rejected.pk, by=staff, reason="再次拒绝")

    assert_unchanged(rejected, VerificationStatus.REJECTED, None, 0)
    assert rejected.rejection_reason == "资料不全"


# --- Sponsor.addresses -----------------------------------------------------------------------


def test_a_sponsors_addresses_are_the_sponsor_and_its_members_once_each():
    sponsor = SponsorFactory(email="office@unit.example")
    SponsorMemberFactory(sponsor=sponsor, user=UserFactory(email="b@unit.example"))
    SponsorMemberFactory(sponsor=sponsor, user=UserFactory(email="office@unit.example"))
    SponsorMemberFactory(sponsor=sponsor, user=UserFactory(email=""))
    SponsorMemberFactory(user=UserFactory(email="someone.else@example.org"))

    assert sponsor.addresses() == ["b@unit.example", "office@unit.example"]
