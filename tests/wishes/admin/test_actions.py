"""Back-office actions: every state change goes through a service, one refusal stops nothing."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import constants, get_messages
from django.contrib.messages.storage.base import Message
from django.urls import reverse
from django.utils import timezone

from sponsors.models import Sponsor, VerificationStatus
from tests.factories import (
    ClaimFactory,
    ConsentFactory,
    EventFactory,
    SponsorFactory,
    UserFactory,
    WishFactory,
)
from wishes.audit import history_of
from wishes.models import Claim, ClaimChannel, ClaimStatus, Wish, WishStatus

CHANGE_FORM_ACTION = "CHANGE_FORM-action"


@pytest.fixture
def staff_client(client_for):
    return client_for("staff")


def changelist(model) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def run_action(client, model, action: str, objects):
    """Choose an action on the list page for `objects`, as the "Run" button does."""
    data = {
        "action": action,
        "index": "0",
        "select_across": "0",
        "_selected_action": [str(obj.pk) for obj in objects],
    }
    return client.post(changelist(model), data, HTTP_ACCEPT_LANGUAGE="en")


def submit_action_form(client, model, action: str, objects, **fields):
    """Submit an action's intermediate page, as its button does."""
    data = {
        "action": action,
        "apply": "1",
        "_selected_action": [str(obj.pk) for obj in objects],
        **fields,
    }
    return client.post(changelist(model), data, HTTP_ACCEPT_LANGUAGE="en")


def notes(response, level: int | None = None) -> list[str]:
    found: list[Message] = list(get_messages(response.wsgi_request))
    return [str(m) for m in found if level is None or m.level == level]


# --- wishes ----------------------------------------------------------------------------------


def test_publish_with_consent_opens_the_wish(staff_client, staff):
    wish = WishFactory()
    ConsentFactory(child=wish.child)

    response = run_action(staff_client, Wish, "publish", [wish])

    assert response.status_code == 302
    wish.refresh_from_db()
    assert wish.status == WishStatus.OPEN
    assert wish.published_at is not None
    change = history_of(wish).get()
    assert (change.from_status, change.to_status, change.by) == ("draft", "open", staff)
    assert notes(response, constants.SUCCESS) == [
        f"{wish.code} is published and waiting to be claimed."
    ]


def test_publish_without_consent_is_refused_and_the_others_still_publish(staff_client):
    without_consent = WishFactory()
    with_consent = WishFactory()
    ConsentFactory(child=with_consent.child)

    response = run_action(staff_client, Wish, "publish", [without_consent, with_consent])

    without_consent.refresh_from_db()
    with_consent.refresh_from_db()
    assert without_consent.status == WishStatus.DRAFT
    assert not history_of(without_consent).exists()
    assert with_consent.status == WishStatus.OPEN
    errors = notes(response, constants.ERROR)
    assert len(errors) == 1
    assert errors[0].startswith(f"{without_consent.code}: ")
    assert "has not consented" in errors[0]
    assert len(notes(response, constants.SUCCESS)) == 1


def test_publish_from_the_wish_page(staff_client):
    wish = WishFactory()
    ConsentFactory(child=wish.child)
    url = reverse("admin:wishes_wish_change", args=[wish.pk])

    response = staff_client.post(
        url, {CHANGE_FORM_ACTION: "publish", "index": "0", "_selected_action": str(wish.pk)}
    )

    assert response.status_code == 302
    assert response["Location"] == url
    wish.refresh_from_db()
    assert wish.status == WishStatus.OPEN


def test_withdraw_asks_for_a_reason_then_withdraws_and_records_it(staff_client, open_wish):
    page = run_action(staff_client, Wish, "withdraw", [open_wish])

    assert page.status_code == 200
    assert "admin/huamu_action_form.html" in [t.name for t in page.templates]
    assert "reason" in page.context["adminform"].form.fields
    html = page.content.decode()
    assert 'name="action" value="withdraw"' in html
    assert f'name="_selected_action" value="{open_wish.pk}"' in html
    open_wish.refresh_from_db()
    assert open_wish.status == WishStatus.OPEN

    response = submit_action_form(
        staff_client, Wish, "withdraw", [open_wish], reason="家长要求撤回"
    )

    assert response.status_code == 302
    open_wish.refresh_from_db()
    assert open_wish.status == WishStatus.WITHDRAWN
    assert history_of(open_wish).get().note == "家长要求撤回"


def test_withdraw_without_a_reason_is_refused(staff_client, open_wish):
    response = submit_action_form(staff_client, Wish, "withdraw", [open_wish], reason="  ")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reason"]
    open_wish.refresh_from_db()
    assert open_wish.status == WishStatus.OPEN
    assert not history_of(open_wish).exists()


def test_withdraw_from_the_wish_page_goes_through_the_same_reason_page(staff_client, open_wish):
    url = reverse("admin:wishes_wish_change", args=[open_wish.pk])
    selected = {CHANGE_FORM_ACTION: "withdraw", "_selected_action": str(open_wish.pk)}

    page = staff_client.post(url, {**selected, "index": "0"})

    assert page.status_code == 200
    assert f'name="{CHANGE_FORM_ACTION}" value="withdraw"' in page.content.decode()

    response = staff_client.post(url, {**selected, "apply": "1", "reason": "重复登记"})

    assert response.status_code == 302
    open_wish.refresh_from_db()
    assert open_wish.status == WishStatus.WITHDRAWN


def test_offline_claim_from_the_city_platform_is_recorded_with_its_channel(
    staff_client, staff, open_wish
):
    centre = SponsorFactory(verified=True, name="北蔡镇新时代文明实践分中心")
    promised = timezone.localdate() + datetime.timedelta(days=30)

    page = run_action(staff_client, Wish, "record_offline_claim", [open_wish])
    assert page.status_code == 200
    response = submit_action_form(
        staff_client,
        Wish,
        "record_offline_claim",
        [open_wish],
        sponsor=str(centre.pk),
        channel=ClaimChannel.CITY_PLATFORM,
        external_ref="SH-2026-0042",
        claimant_name="北蔡镇新时代文明实践分中心",
        promised_on=promised.isoformat(),
    )

    assert response.status_code == 302
    claim = Claim.objects.get(wish=open_wish)
    assert claim.sponsor == centre
    assert claim.channel == ClaimChannel.CITY_PLATFORM
    assert claim.external_ref == "SH-2026-0042"
    assert claim.claimant_name == "北蔡镇新时代文明实践分中心"
    assert claim.promised_on == promised
    assert claim.claimed_by == staff
    open_wish.refresh_from_db()
    assert open_wish.status == WishStatus.CLAIMED


def test_offline_claim_from_the_city_platform_needs_a_reference(staff_client, open_wish):
    centre = SponsorFactory(verified=True)

    response = submit_action_form(
        staff_client,
        Wish,
        "record_offline_claim",
        [open_wish],
        sponsor=str(centre.pk),
        channel=ClaimChannel.CITY_PLATFORM,
        external_ref="",
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["external_ref"]
    assert not Claim.objects.exists()


def test_offline_claim_offers_only_verified_sponsors(staff_client, open_wish):
    pending = SponsorFactory()

    response = submit_action_form(
        staff_client,
        Wish,
        "record_offline_claim",
        [open_wish],
        sponsor=str(pending.pk),
        channel=ClaimChannel.OFFLINE,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["sponsor"]
    assert not Claim.objects.exists()


def test_offline_claim_on_a_draft_is_refused_but_open_wishes_are_claimed(staff_client, open_wish):
    draft = WishFactory()
    unit = SponsorFactory(verified=True)

    response = submit_action_form(
        staff_client,
        Wish,
        "record_offline_claim",
        [draft, open_wish],
        sponsor=str(unit.pk),
        channel=ClaimChannel.OFFLINE,
    )

    assert response.status_code == 302
    assert not Claim.objects.filter(wish=draft).exists()
    assert Claim.objects.get(wish=open_wish).channel == ClaimChannel.OFFLINE
    errors = notes(response, constants.ERROR)
    assert len(errors) == 1
    assert errors[0].startswith(f"{draft.code}: ")


# --- claims ----------------------------------------------------------------------------------


def test_cancel_claim_puts_the_wish_back_in_the_pool(staff_client, staff):
    claim = ClaimFactory()

    response = submit_action_form(
        staff_client, Claim, "cancel", [claim], reason="单位无法按期完成"
    )

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED
    assert claim.cancel_reason == "单位无法按期完成"
    assert claim.wish.status == WishStatus.OPEN
    assert history_of(claim).get().by == staff


def test_cancel_claim_without_a_reason_is_refused(staff_client):
    claim = ClaimFactory()

    response = submit_action_form(staff_client, Claim, "cancel", [claim], reason="")

    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE


def test_cancelling_a_cancelled_claim_is_reported_and_the_others_still_cancel(staff_client):
    done = ClaimFactory(status=ClaimStatus.CANCELLED, cancel_reason="早已取消")
    active = ClaimFactory()

    response = submit_action_form(staff_client, Claim, "cancel", [done, active], reason="整理")

    active.refresh_from_db()
    assert active.status == ClaimStatus.CANCELLED
    errors = notes(response, constants.ERROR)
    assert len(errors) == 1
    assert "Only an active claim can be cancelled" in errors[0]


def test_record_fulfilment_with_date_event_and_note(staff_client, staff):
    claim = ClaimFactory()
    event = EventFactory()
    day = timezone.localdate() - datetime.timedelta(days=2)

    page = run_action(staff_client, Claim, "fulfil", [claim])
    assert page.context["adminform"].form["fulfilled_on"].value() == timezone.localdate()
    response = submit_action_form(
        staff_client,
        Claim,
        "fulfil",
        [claim],
        fulfilled_on=day.isoformat(),
        event=str(event.pk),
        note="在学校会议室交付",
    )

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FULFILLED
    assert claim.wish.status == WishStatus.FULFILLED
    fulfilment = claim.fulfilment
    assert (fulfilment.fulfilled_on, fulfilment.event, fulfilment.note) == (
        day,
        event,
        "在学校会议室交付",
    )
    assert fulfilment.recorded_by == staff


def test_record_fulfilment_in_the_future_is_refused(staff_client):
    claim = ClaimFactory()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = submit_action_form(
        staff_client, Claim, "fulfil", [claim], fulfilled_on=tomorrow.isoformat()
    )

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE
    assert "cannot be in the future" in notes(response, constants.ERROR)[0]


# --- sponsors --------------------------------------------------------------------------------


def test_verify_sponsor_lets_it_claim(staff_client, staff):
    pending = SponsorFactory()

    response = run_action(staff_client, Sponsor, "verify", [pending])

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == VerificationStatus.VERIFIED
    assert pending.decided_by == staff
    assert history_of(pending).get().to_status == VerificationStatus.VERIFIED


def test_verifying_a_verified_sponsor_is_reported_and_the_others_still_verified(staff_client):
    verified = SponsorFactory(verified=True, name="已审核单位")
    pending = SponsorFactory()

    response = run_action(staff_client, Sponsor, "verify", [verified, pending])

    pending.refresh_from_db()
    assert pending.status == VerificationStatus.VERIFIED
    assert notes(response, constants.ERROR) == ["已审核单位: 已审核单位 is already verified."]


def test_reject_sponsor_with_a_reason(staff_client, staff):
    pending = SponsorFactory()

    page = run_action(staff_client, Sponsor, "reject", [pending])
    assert page.status_code == 200
    response = submit_action_form(staff_client, Sponsor, "reject", [pending], reason="信息不实")

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == VerificationStatus.REJECTED
    assert pending.rejection_reason == "信息不实"
    assert history_of(pending).get().note == "信息不实"


def test_reject_sponsor_without_a_reason_is_refused(staff_client):
    pending = SponsorFactory()

    response = submit_action_form(staff_client, Sponsor, "reject", [pending], reason="")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reason"]
    pending.refresh_from_db()
    assert pending.status == VerificationStatus.PENDING
    assert not history_of(pending).exists()


# --- who may run them ------------------------------------------------------------------------


def test_a_view_only_back_office_user_cannot_run_actions(client, db):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_wish"))
    wish = WishFactory()
    ConsentFactory(child=wish.child)
    client.force_login(viewer)

    response = run_action(client, Wish, "publish", [wish])

    # The list shows, but without any action to run: the user may look but not act.
    assert response.status_code == 200
    assert response.context["action_form"] is None
    wish.refresh_from_db()
    assert wish.status == WishStatus.DRAFT
