"""The privacy guard on messages to sponsors: a mail, or a reason the sponsor reads in its
history, that would name the child refuses the action and changes nothing; the unattended
reminder leaves such a text out instead."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import ChildFactory, ClaimFactory, ConsentFactory
from tests.wishes.admin.test_actions import notes, submit_action_form
from wishes.audit import history_of
from wishes.claiming.follow_up import send_reminders
from wishes.models import Claim, ClaimStatus, StatusChange, Wish, WishStatus
from wishes.privacy.guard import PrivacyRefusal, screen_for
from wishes.services import cancel_claim, withdraw_wish

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(school):
    child = ChildFactory(
        real_name="王小美",
        guardian_name="李芳",
        address="锦绣苑3号楼",
        private_words="王小宝",
        school=school,
    )
    ConsentFactory(child=child)
    return ClaimFactory(wish__child=child, wish__public_text="想要一个天文望远镜")


@pytest.mark.parametrize(
    "reason",
    ["王小美的家长说不需要了", "李芳来电话撤回", "王 小 宝已经有了", "王小美（wang xiaomei）搬家"],
)
def test_withdrawing_with_a_reason_that_names_the_child_is_refused(
    claim, staff, reason, django_capture_on_commit_callbacks
):
    before = StatusChange.objects.count()

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(PrivacyRefusal) as refusal,
    ):
        withdraw_wish(wish_id=claim.wish_id, by=staff, reason=reason)

    assert "发给认领人的消息" in str(refusal.value)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE and claim.cancel_reason == ""
    assert Wish.objects.get(pk=claim.wish_id).status == WishStatus.CLAIMED
    assert StatusChange.objects.count() == before
    assert mail.outbox == []


def test_the_withdraw_action_in_the_admin_shows_the_refusal(claim, client_for):
    response = submit_action_form(
        client_for("staff"), Wish, "withdraw", [claim.wish], reason="王小美的家长要求撤回"
    )

    [note] = notes(response)
    assert "王小美" in note
    assert Wish.objects.get(pk=claim.wish_id).status == WishStatus.CLAIMED
    assert not history_of(claim.wish).exists()


def test_a_plain_reason_withdraws_and_tells_the_sponsor(
    claim, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_wish(wish_id=claim.wish_id, by=staff, reason="家长要求撤回，请致电 021-5888 1234")

    [message] = mail.outbox
    assert "家长要求撤回" in message.body
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.CANCELLED


def test_a_sponsor_without_an_address_is_protected_too(claim, staff):
    # Nothing is mailed, but the sponsor reads the reason in its claim's history.
    type(claim.sponsor).objects.filter(pk=claim.sponsor_id).update(email="")

    with pytest.raises(PrivacyRefusal):
        withdraw_wish(wish_id=claim.wish_id, by=staff, reason="李芳说不要了")

    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.ACTIVE


def test_a_cancellation_reason_naming_the_child_is_refused(claim, staff):
    with pytest.raises(PrivacyRefusal):
        cancel_claim(claim_id=claim.pk, by=staff, reason="小美家搬到锦绣苑以外了")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE
    assert not history_of(claim).exists()


def test_the_reminder_leaves_out_a_text_that_has_come_to_name_the_child(
    claim, django_capture_on_commit_callbacks
):
    due = timezone.localdate() + datetime.timedelta(days=2)
    Claim.objects.filter(pk=claim.pk).update(promised_on=due)
    # Written past the guard (say by a script), so only the reminder can catch it.
    Wish.objects.filter(pk=claim.wish_id).update(public_text="王小美想要一个天文望远镜")
    other = ClaimFactory(sponsor=claim.sponsor, promised_on=due, wish__public_text="想要一套画笔")

    with django_capture_on_commit_callbacks(execute=True):
        send_reminders(timezone.localdate())

    [message] = mail.outbox
    assert claim.wish.code in message.body and other.wish.code in message.body
    assert "想要一套画笔" in message.body
    assert "王小美" not in message.body and "天文望远镜" not in message.body
    claim.refresh_from_db()
    assert claim.reminder_sent_at is not None


def test_screen_looks_for_the_childs_words_not_for_the_associations_own_numbers(claim):
    screen = screen_for([claim.wish.child])

    screen("请于 2026-12-20 前送到，电话 021-58881234，huamu@example.org")
    with pytest.raises(PrivacyRefusal):
        screen("王小美的礼物")
    with pytest.raises(PrivacyRefusal):
        screen("送到锦绣苑")
