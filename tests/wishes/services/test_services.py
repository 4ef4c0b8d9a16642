"""The wish and claim services: every transition, every refusal, the audit trail and mail."""

import datetime
import re
from copy import deepcopy
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from huamu.errors import TransitionError
from huamu.mail import send_after_commit
from tests.factories import (
    ClaimFactory,
    ConsentFactory,
    DropOffPointFactory,
    EventFactory,
    FulfilmentFactory,
    SponsorFactory,
    SponsorMemberFactory,
    WishFactory,
)
from wishes.audit import history_of
from wishes.claiming.follow_up import reminder_lines
from wishes.claiming.handover import HandoverLine
from wishes.models import (
    Claim,
    ClaimChannel,
    ClaimStatus,
    EventSignup,
    Fulfilment,
    GiftReceipt,
    StatusChange,
    ThankYouLetter,
    Wish,
    WishStatus,
)
from wishes.services import (
    cancel_claim,
    claim_wish,
    claim_wishes,
    publish_wish,
    record_fulfilment,
    record_fulfilments,
    withdraw_wish,
)

pytestmark = pytest.mark.django_db

MAIL_FOLDER = Path(__file__).resolve().parents[3] / "templates" / "mail"
MAIL_TEMPLATES = sorted(
    p.name.removesuffix("_subject.txt") for p in MAIL_FOLDER.glob("*_subject.txt")
)


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
def member():
    """A user of a verified caring unit whose e-mail is written in English."""
    return SponsorMemberFactory(
        user__username="en_member",
        sponsor=SponsorFactory(verified=True, name="Expo Centre", language="en"),
    )


def changes(subject) -> list[tuple]:
    """The audit trail of one record as (from, to, by, note) tuples, oldest first."""
    return [(c.from_status, c.to_status, c.by, c.note) for c in history_of(subject)]


def assert_unchanged(wish: Wish, status: str, change_count: int) -> None:
    """A refusal leaves the wish as it was and writes no audit row."""
    wish.refresh_from_db()
    assert wish.status == status
    assert StatusChange.objects.count() == change_count


# --- publish_wish ---------------------------------------------------------------------------


def test_publish_wish_opens_a_draft_whose_guardian_consented(staff):
    wish = WishFactory()
    ConsentFactory(child=wish.child)

    publish_wish(wish_id=wish.pk, by=staff)

    wish.refresh_from_db()
    assert wish.status == WishStatus.OPEN
    assert wish.published_at is not None
    assert changes(wish) == [(WishStatus.DRAFT, WishStatus.OPEN, staff, "")]
    assert StatusChange.objects.get().subject == wish


def _without_consent() -> Wish:
    return WishFactory()


def _with_withdrawn_consent() -> Wish:
    wish = WishFactory()
    ConsentFactory(child=wish.child, withdrawn_at=timezone.now())
    return wish


def _with_consent_to_keep_but_not_publish() -> Wish:
    wish = WishFactory()
    ConsentFactory(child=wish.child, publish_wish=False)
    return wish


def _with_blank_public_text() -> Wish:
    wish = WishFactory(public_text="  \n ")
    ConsentFactory(child=wish.child)
    return wish


def _already_open() -> Wish:
    return WishFactory(open=True)


def _of_a_withdrawn_child() -> Wish:
    wish = WishFactory(child__withdrawn_at=timezone.now())
    ConsentFactory(child=wish.child)
    return wish


@pytest.mark.parametrize(
    "make_wish, message",
    [
        (_without_consent, "has not consented"),
        (_with_withdrawn_consent, "has not consented"),
        (_with_consent_to_keep_but_not_publish, "has not consented"),
        (_with_blank_public_text, "public text"),
        (_already_open, "Only a draft can be published; this wish is Waiting to be claimed"),
        (_of_a_withdrawn_child, "record has been withdrawn"),
    ],
)
def test_publish_wish_is_refused_and_changes_nothing(staff, make_wish, message):
    wish = make_wish()
    status, count = wish.status, StatusChange.objects.count()

    with pytest.raises(TransitionError, match=message):
        publish_wish(wish_id=wish.pk, by=staff)

    assert_unchanged(wish, status, count)
    if status == WishStatus.DRAFT:
        assert wish.published_at is None


def test_publish_wish_of_an_unknown_wish_is_refused(staff):
    with pytest.raises(TransitionError, match="does not exist"):
        publish_wish(wish_id=999_999, by=staff)


# --- withdraw_wish --------------------------------------------------------------------------


@pytest.mark.parametrize("open_", [False, True], ids=["draft", "open"])
def test_withdraw_wish_withdraws_a_draft_or_open_wish(staff, open_):
    wish = WishFactory(open=open_)
    before = wish.status

    withdraw_wish(wish_id=wish.pk, by=staff, reason="  家长要求撤回  ")

    wish.refresh_from_db()
    assert wish.status == WishStatus.WITHDRAWN
    assert changes(wish) == [(before, WishStatus.WITHDRAWN, staff, "家长要求撤回")]


def test_withdraw_claimed_wish_cancels_the_active_claim_too(staff):
    claim = ClaimFactory()

    withdraw_wish(wish_id=claim.wish_id, by=staff, reason="孩子转学")

    claim.refresh_from_db()
    claim.wish.refresh_from_db()
    assert claim.wish.status == WishStatus.WITHDRAWN
    assert claim.status == ClaimStatus.CANCELLED
    assert claim.cancel_reason == "孩子转学"
    assert changes(claim) == [(ClaimStatus.ACTIVE, ClaimStatus.CANCELLED, staff, "孩子转学")]
    assert changes(claim.wish) == [(WishStatus.CLAIMED, WishStatus.WITHDRAWN, staff, "孩子转学")]
    assert not Claim.objects.filter(status=ClaimStatus.ACTIVE).exists()


def test_withdraw_claimed_wish_mails_the_sponsor_after_commit(
    staff, sponsor, django_capture_on_commit_callbacks, strict_templates
):
    the_sponsor = sponsor.sponsor_member.sponsor
    the_sponsor.language = "en"
    the_sponsor.save()
    claim = ClaimFactory(sponsor=the_sponsor)

    with django_capture_on_commit_callbacks() as callbacks:
        withdraw_wish(wish_id=claim.wish_id, by=staff, reason="Family moved away")
        assert mail.outbox == []
    for callback in callbacks:
        callback()

    [message] = mail.outbox
    assert message.to == sorted([the_sponsor.email, sponsor.email])
    assert message.subject == f"Your claim on wish {claim.wish.code} was cancelled"
    assert "Family moved away" in message.body
    assert "<<missing" not in message.subject + message.body


@pytest.mark.parametrize("status", [WishStatus.FULFILLED, WishStatus.WITHDRAWN])
def test_withdraw_wish_is_refused_when_fulfilled_or_withdrawn(staff, status):
    wish = WishFactory(open=True, status=status)
    count = StatusChange.objects.count()

    with pytest.raises(TransitionError, match="cannot be withdrawn"):
        withdraw_wish(wish_id=wish.pk, by=staff, reason="重复录入")

    assert_unchanged(wish, status, count)


def test_withdraw_wish_needs_a_reason(staff):
    claim = ClaimFactory()

    with pytest.raises(TransitionError, match="reason"):
        withdraw_wish(wish_id=claim.wish_id, by=staff, reason="   ")

    assert_unchanged(claim.wish, WishStatus.CLAIMED, 0)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE


# --- claim_wish -----------------------------------------------------------------------------


def test_claim_wish_gives_an_open_wish_to_a_verified_sponsor(sponsor, open_wish):
    the_sponsor = sponsor.sponsor_member.sponsor
    promised = timezone.localdate() + datetime.timedelta(days=30)

    claim = claim_wish(wish_id=open_wish.pk, sponsor=the_sponsor, by=sponsor, promised_on=promised)

    claim.refresh_from_db()
    open_wish.refresh_from_db()
    assert (claim.wish, claim.sponsor, claim.status) == (
        open_wish,
        the_sponsor,
        ClaimStatus.ACTIVE,
    )
    assert (claim.channel, claim.claimed_by, claim.promised_on) == (
        ClaimChannel.ONLINE,
        sponsor,
        promised,
    )
    assert open_wish.status == WishStatus.CLAIMED
    assert changes(claim) == [("", ClaimStatus.ACTIVE, sponsor, "")]
    assert changes(open_wish) == [(WishStatus.OPEN, WishStatus.CLAIMED, sponsor, "")]


def test_claim_wish_tells_staff_and_the_sponsor_after_commit(
    settings, member, open_wish, django_capture_on_commit_callbacks, strict_templates
):
    settings.STAFF_NOTIFY_EMAILS = ["office@huamu.example"]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        claim_wish(wish_id=open_wish.pk, sponsor=member.sponsor, by=member.user)

    assert len(callbacks) == 2
    message, to_sponsor = mail.outbox
    assert to_sponsor.to == member.sponsor.addresses()
    assert open_wish.code in to_sponsor.body
    assert message.to == ["office@huamu.example"]
    # Staff mail goes out in the site's default language; without a catalogue that reads
    # as the English source text.
    assert "Expo Centre" in message.subject
    assert open_wish.code in message.body
    assert "<<missing" not in message.subject + message.body


@pytest.mark.parametrize("verification", ["pending", "rejected"])
def test_claim_wish_is_refused_to_a_sponsor_not_verified(staff, open_wish, verification):
    not_verified = SponsorFactory(status=verification)

    with pytest.raises(TransitionError, match="Only verified sponsors"):
        claim_wish(wish_id=open_wish.pk, sponsor=not_verified, by=staff)

    assert_unchanged(open_wish, WishStatus.OPEN, 0)
    assert not Claim.objects.exists()


def test_claim_wish_is_refused_once_the_guardian_withdrew_consent(sponsor, open_wish):
    open_wish.child.consents.update(withdrawn_at=timezone.now())

    with pytest.raises(TransitionError, match="no longer published"):
        claim_wish(wish_id=open_wish.pk, sponsor=sponsor.sponsor_member.sponsor, by=sponsor)

    assert_unchanged(open_wish, WishStatus.OPEN, 0)
    assert not Claim.objects.exists()


def test_claim_wish_is_refused_for_a_withdrawn_child(sponsor, open_wish):
    type(open_wish.child).objects.filter(pk=open_wish.child_id).update(withdrawn_at=timezone.now())

    with pytest.raises(TransitionError, match="no longer published"):
        claim_wish(wish_id=open_wish.pk, sponsor=sponsor.sponsor_member.sponsor, by=sponsor)

    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    "status, message",
    [
        (WishStatus.CLAIMED, "has just been claimed by someone else"),
        (WishStatus.DRAFT, "not waiting to be claimed; it is Draft"),
        (WishStatus.FULFILLED, "not waiting to be claimed; it is Fulfilled"),
        (WishStatus.WITHDRAWN, "not waiting to be claimed; it is Withdrawn"),
    ],
)
def test_claim_wish_is_refused_when_the_wish_is_not_open(member, status, message):
    wish = WishFactory(open=True, status=status)

    with pytest.raises(TransitionError, match=message):
        claim_wish(wish_id=wish.pk, sponsor=member.sponsor, by=member.user)

    assert_unchanged(wish, status, 0)
    assert not Claim.objects.exists()


def test_claim_wish_refuses_a_unit_at_its_active_claim_limit(settings, member):
    settings.HUAMU_MAX_ACTIVE_CLAIMS_UNIT = 2
    ClaimFactory.create_batch(2, sponsor=member.sponsor)
    # Claims no longer active do not count towards the limit.
    ClaimFactory(sponsor=member.sponsor, status=ClaimStatus.CANCELLED, cancel_reason="x")
    wish = WishFactory(open=True)

    with pytest.raises(TransitionError, match="hold 2 active claims; the limit is 2"):
        claim_wish(wish_id=wish.pk, sponsor=member.sponsor, by=member.user)

    assert_unchanged(wish, WishStatus.OPEN, 0)


def test_claim_wish_lets_a_unit_claim_up_to_its_limit(settings, member):
    settings.HUAMU_MAX_ACTIVE_CLAIMS_UNIT = 2
    ClaimFactory(sponsor=member.sponsor)
    wish = WishFactory(open=True)

    claim_wish(wish_id=wish.pk, sponsor=member.sponsor, by=member.user)

    assert member.sponsor.claims.filter(status=ClaimStatus.ACTIVE).count() == 2


def test_claim_wish_applies_the_individual_limit_to_individuals(settings):
    settings.HUAMU_MAX_ACTIVE_CLAIMS_INDIVIDUAL = 1
    settings.HUAMU_MAX_ACTIVE_CLAIMS_UNIT = 5
    person = SponsorFactory(verified=True, individual=True)
    unit = SponsorFactory(verified=True)
    ClaimFactory(sponsor=person)
    ClaimFactory(sponsor=unit)
    first, second = WishFactory(open=True), WishFactory(open=True)

    with pytest.raises(TransitionError, match="the limit is 1"):
        claim_wish(wish_id=first.pk, sponsor=person, by=None)
    claim_wish(wish_id=second.pk, sponsor=unit, by=None)

    assert_unchanged(first, WishStatus.OPEN, 2)


def test_claim_wish_records_a_city_platform_claim_with_its_reference(staff, open_wish):
    town = SponsorFactory(verified=True, name="北蔡镇新时代文明实践分中心")

    claim = claim_wish(
        wish_id=open_wish.pk,
        sponsor=town,
        by=staff,
        channel=ClaimChannel.CITY_PLATFORM,
        external_ref=" SH-2020-0042 ",
        claimant_name="北蔡镇新时代文明实践分中心",
    )

    claim.refresh_from_db()
    assert (claim.channel, claim.external_ref) == (ClaimChannel.CITY_PLATFORM, "SH-2020-0042")
    assert claim.claimed_by == staff


def test_claim_wish_refuses_a_city_platform_claim_without_reference(staff, open_wish):
    town = SponsorFactory(verified=True)

    with pytest.raises(TransitionError, match="needs its reference number"):
        claim_wish(
            wish_id=open_wish.pk, sponsor=town, by=staff, channel=ClaimChannel.CITY_PLATFORM
        )

    assert_unchanged(open_wish, WishStatus.OPEN, 0)


def test_claim_wish_refuses_a_platform_reference_recorded_twice(staff, open_wish):
    town = SponsorFactory(verified=True)
    ClaimFactory(sponsor=town, channel=ClaimChannel.CITY_PLATFORM, external_ref="SH-1")

    with pytest.raises(TransitionError, match="SH-1 is already recorded"):
        claim_wish(
            wish_id=open_wish.pk,
            sponsor=town,
            by=staff,
            channel=ClaimChannel.CITY_PLATFORM,
            external_ref="SH-1",
        )

    assert_unchanged(open_wish, WishStatus.OPEN, 0)


# --- claim_wishes ---------------------------------------------------------------------------


def test_claim_wishes_claims_every_wish_of_the_batch(member):
    wishes = WishFactory.create_batch(3, open=True)

    claims = claim_wishes(wish_ids=[w.pk for w in wishes], sponsor=member.sponsor, by=member.user)

    assert sorted(c.wish_id for c in claims) == sorted(w.pk for w in wishes)
    for wish in wishes:
        wish.refresh_from_db()
        assert wish.status == WishStatus.CLAIMED
        assert changes(wish) == [(WishStatus.OPEN, WishStatus.CLAIMED, member.user, "")]
    for claim in claims:
        assert changes(claim) == [("", ClaimStatus.ACTIVE, member.user, "")]


def test_claim_wishes_claims_nothing_when_one_wish_is_taken(
    member, django_capture_on_commit_callbacks
):
    free = WishFactory.create_batch(2, open=True)
    taken = ClaimFactory().wish
    count = StatusChange.objects.count()

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(TransitionError, match="Nothing was claimed") as refusal,
    ):
        claim_wishes(
            wish_ids=[free[0].pk, taken.pk, free[1].pk], sponsor=member.sponsor, by=member.user
        )

    assert taken.code in str(refusal.value)
    assert free[0].code not in str(refusal.value)
    assert not member.sponsor.claims.exists()
    for wish in free:
        assert_unchanged(wish, WishStatus.OPEN, count)
    assert callbacks == []


def test_claim_wishes_counts_the_whole_batch_against_the_limit(settings, member):
    settings.HUAMU_MAX_ACTIVE_CLAIMS_UNIT = 3
    ClaimFactory.create_batch(2, sponsor=member.sponsor)
    wishes = WishFactory.create_batch(2, open=True)

    with pytest.raises(TransitionError, match="the limit is 3"):
        claim_wishes(wish_ids=[w.pk for w in wishes], sponsor=member.sponsor, by=member.user)

    assert member.sponsor.claims.count() == 2
    for wish in wishes:
        assert_unchanged(wish, WishStatus.OPEN, 0)


def test_claim_wishes_counts_a_wish_ticked_twice_once(settings, member, open_wish):
    settings.HUAMU_MAX_ACTIVE_CLAIMS_UNIT = 1

    claims = claim_wishes(
        wish_ids=[open_wish.pk, open_wish.pk], sponsor=member.sponsor, by=member.user
    )

    assert [c.wish_id for c in claims] == [open_wish.pk]


def test_claim_wishes_refuses_an_empty_batch(member):
    with pytest.raises(TransitionError, match="at least one wish"):
        claim_wishes(wish_ids=[], sponsor=member.sponsor, by=member.user)


def test_claim_wishes_refuses_an_unknown_wish_and_claims_nothing(member, open_wish):
    with pytest.raises(TransitionError, match="Nothing was claimed"):
        claim_wishes(wish_ids=[open_wish.pk, 999_999], sponsor=member.sponsor, by=member.user)

    assert_unchanged(open_wish, WishStatus.OPEN, 0)


def test_claim_wishes_is_refused_to_an_unverified_sponsor(open_wish):
    pending = SponsorFactory()

    with pytest.raises(TransitionError, match="Only verified sponsors"):
        claim_wishes(wish_ids=[open_wish.pk], sponsor=pending, by=None)

    assert_unchanged(open_wish, WishStatus.OPEN, 0)


# --- cancel_claim ---------------------------------------------------------------------------


def test_cancel_claim_returns_the_wish_to_the_pool(sponsor):
    claim = ClaimFactory(sponsor=sponsor.sponsor_member.sponsor)

    cancel_claim(claim_id=claim.pk, by=sponsor, reason=" 预算取消 ")

    claim.refresh_from_db()
    claim.wish.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED
    assert claim.cancel_reason == "预算取消"
    assert claim.wish.status == WishStatus.OPEN
    assert changes(claim) == [(ClaimStatus.ACTIVE, ClaimStatus.CANCELLED, sponsor, "预算取消")]
    assert changes(claim.wish) == [(WishStatus.CLAIMED, WishStatus.OPEN, sponsor, "预算取消")]


def test_cancelled_wish_can_be_claimed_again(sponsor, other_sponsor):
    claim = ClaimFactory(sponsor=sponsor.sponsor_member.sponsor)
    cancel_claim(claim_id=claim.pk, by=sponsor, reason="预算取消")

    again = claim_wish(
        wish_id=claim.wish_id, sponsor=other_sponsor.sponsor_member.sponsor, by=other_sponsor
    )

    assert again.status == ClaimStatus.ACTIVE
    assert Claim.objects.filter(wish_id=claim.wish_id).count() == 2


def test_cancel_claim_tells_staff_after_commit(
    settings, staff, django_capture_on_commit_callbacks, strict_templates
):
    settings.STAFF_NOTIFY_EMAILS = ["office@huamu.example"]
    claim = ClaimFactory()

    with django_capture_on_commit_callbacks() as callbacks:
        cancel_claim(claim_id=claim.pk, by=staff, reason="Budget cut")
    assert mail.outbox == []
    for callback in callbacks:
        callback()

    [message] = mail.outbox
    assert message.to == ["office@huamu.example"]
    # Staff mail is in the site's default language, Simplified Chinese.
    assert message.subject == f"心愿 {claim.wish.code} 的认领已取消"
    assert "Budget cut" in message.body
    assert "<<missing" not in message.subject + message.body


def test_cancel_claim_needs_a_reason(staff):
    claim = ClaimFactory()

    with pytest.raises(TransitionError, match="reason"):
        cancel_claim(claim_id=claim.pk, by=staff, reason="")

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE
    assert_unchanged(claim.wish, WishStatus.CLAIMED, 0)


@pytest.mark.parametrize(
    "claim_status, wish_status",
    [
        (ClaimStatus.CANCELLED, WishStatus.OPEN),
        (ClaimStatus.FULFILLED, WishStatus.FULFILLED),
    ],
)
def test_cancel_claim_is_refused_when_not_active(staff, claim_status, wish_status):
    claim = ClaimFactory(status=claim_status, cancel_reason="x", wish__status=wish_status)

    with pytest.raises(TransitionError, match="Only an active claim can be cancelled"):
        cancel_claim(claim_id=claim.pk, by=staff, reason="再取消一次")

    claim.refresh_from_db()
    assert claim.status == claim_status
    assert_unchanged(claim.wish, wish_status, 0)


def test_cancel_claim_of_an_unknown_claim_is_refused(staff):
    with pytest.raises(TransitionError, match="does not exist"):
        cancel_claim(claim_id=999_999, by=staff, reason="x")


# --- record_fulfilment ----------------------------------------------------------------------


def test_record_fulfilment_fulfils_the_claim_and_the_wish(coordinator):
    claim = ClaimFactory()
    event = EventFactory(title="花木中心小学圆梦专场")
    today = timezone.localdate()

    fulfilment = record_fulfilment(
        claim_id=claim.pk, by=coordinator, fulfilled_on=today, event=event, note="现场交付"
    )

    fulfilment = Fulfilment.objects.get(pk=fulfilment.pk)
    assert (fulfilment.claim, fulfilment.fulfilled_on, fulfilment.event) == (claim, today, event)
    assert (fulfilment.note, fulfilment.recorded_by) == ("现场交付", coordinator)
    claim.refresh_from_db()
    claim.wish.refresh_from_db()
    assert claim.status == ClaimStatus.FULFILLED
    assert claim.wish.status == WishStatus.FULFILLED
    assert changes(claim) == [(ClaimStatus.ACTIVE, ClaimStatus.FULFILLED, coordinator, "")]
    assert changes(claim.wish) == [(WishStatus.CLAIMED, WishStatus.FULFILLED, coordinator, "")]


def test_record_fulfilment_mails_the_sponsor_in_english(
    coordinator, member, django_capture_on_commit_callbacks, strict_templates
):
    claim = ClaimFactory(sponsor=member.sponsor)
    fulfilled_on = datetime.date(2020, 12, 5)

    with django_capture_on_commit_callbacks(execute=True):
        record_fulfilment(claim_id=claim.pk, by=coordinator, fulfilled_on=fulfilled_on)

    [message] = mail.outbox
    assert message.to == sorted([member.sponsor.email, member.user.email])
    assert message.subject == f"Wish {claim.wish.code} has come true"
    assert "was fulfilled on 2020-12-05" in message.body
    assert "<<missing" not in message.subject + message.body


def test_record_fulfilment_refuses_a_date_in_the_future(coordinator):
    claim = ClaimFactory()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(TransitionError, match="cannot be in the future"):
        record_fulfilment(claim_id=claim.pk, by=coordinator, fulfilled_on=tomorrow)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE
    assert not Fulfilment.objects.exists()
    assert_unchanged(claim.wish, WishStatus.CLAIMED, 0)


@pytest.mark.parametrize(
    "claim_status, wish_status",
    [
        (ClaimStatus.CANCELLED, WishStatus.OPEN),
        (ClaimStatus.FULFILLED, WishStatus.FULFILLED),
    ],
)
def test_record_fulfilment_is_refused_when_the_claim_is_not_active(
    coordinator, claim_status, wish_status
):
    claim = ClaimFactory(status=claim_status, cancel_reason="x", wish__status=wish_status)

    with pytest.raises(TransitionError, match="Only an active claim can be fulfilled"):
        record_fulfilment(claim_id=claim.pk, by=coordinator, fulfilled_on=timezone.localdate())

    claim.refresh_from_db()
    assert claim.status == claim_status
    assert not Fulfilment.objects.exists()
    assert_unchanged(claim.wish, wish_status, 0)


# --- mail in general ------------------------------------------------------------------------


@pytest.mark.parametrize("template", MAIL_TEMPLATES)
def test_mail_template_renders_in_english_with_every_variable(
    template, strict_templates, member, django_capture_on_commit_callbacks
):
    fulfilment = FulfilmentFactory(claim__sponsor=member.sponsor)
    claim = fulfilment.claim
    context = {
        "claim": claim,
        "claims": [claim],
        "lines": reminder_lines([claim]),
        "wish": claim.wish,
        "sponsor": claim.sponsor,
        "fulfilment": fulfilment,
        "letter": ThankYouLetter.objects.create(fulfilment=fulfilment, transcription="谢谢"),
        "reason": "Budget cut",
        # The consents-to-renew line.
        "new": 1,
        "total": 2,
        "days": 30,
        "path": "/admin/wishes/consent/?renewal=due",
        # Who asks to join a unit's team.
        "name": "Wang Xiaoming",
        # The overdue digest's summary.
        "by_kind": [("Caring unit", 2)],
        "by_region": [("花木街道", 2)],
        "by_lateness": [("1 to 7 days", 2)],
        "longest": [claim],
        # Gift hand-over: the receipt, and where and by when (wishes/claiming/handover.py).
        "receipt": GiftReceipt(claim=claim, received_at=timezone.now(), note="Box dented"),
        "late": True,
        "handover_lines": [
            HandoverLine(
                code=claim.wish.code,
                text="Books",
                deadline=timezone.localdate(),
                points=[DropOffPointFactory(campaign=claim.wish.campaign)],
            )
        ],
        "gift_missing": True,
    }
    # An event and a sponsor's sign-up for it (the event messages).
    event = EventFactory(title="Dream meeting", start_time=datetime.time(14, 30))
    context["event"] = event
    context["signup"] = EventSignup.objects.create(
        event=event, sponsor=claim.sponsor, headcount=2, signed_up_by=member.user
    )

    with django_capture_on_commit_callbacks(execute=True):
        send_after_commit(to=["x@example.org"], template=template, context=context, language="en")

    [message] = mail.outbox
    assert (MAIL_FOLDER / f"{template}_body.txt").exists()
    assert message.subject
    assert "\n" not in message.subject
    assert message.subject.isascii(), "an English subject, from the English source text"
    assert "<<missing" not in message.subject + message.body


def test_mail_is_rendered_in_each_recipients_language(
    monkeypatch, coordinator, member, django_capture_on_commit_callbacks
):
    import huamu.mail

    rendered = []
    real_render = huamu.mail.render_to_string

    def spy(template_name, context):
        rendered.append((template_name, translation.get_language()))
        return real_render(template_name, context)

    monkeypatch.setattr(huamu.mail, "render_to_string", spy)
    chinese = ClaimFactory()  # a sponsor left on the default language
    english = ClaimFactory(sponsor=member.sponsor)

    with django_capture_on_commit_callbacks(execute=True):
        record_fulfilment(claim_id=chinese.pk, by=coordinator, fulfilled_on=timezone.localdate())
        record_fulfilment(claim_id=english.pk, by=coordinator, fulfilled_on=timezone.localdate())

    assert rendered == [
        ("mail/wish_fulfilled_subject.txt", "zh-hans"),
        ("mail/wish_fulfilled_body.txt", "zh-hans"),
        ("mail/wish_fulfilled_subject.txt", "en"),
        ("mail/wish_fulfilled_body.txt", "en"),
    ]
    assert len(mail.outbox) == 2


def test_no_mail_when_the_surrounding_transaction_rolls_back(
    staff, django_capture_on_commit_callbacks
):
    claim = ClaimFactory()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        withdraw_wish(wish_id=claim.wish_id, by=staff, reason="测试")
        raise RuntimeError("the caller failed after the service")

    assert callbacks == []
    assert mail.outbox == []
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE


def test_no_mail_when_a_transition_is_refused(staff, django_capture_on_commit_callbacks):
    claim = ClaimFactory(status=ClaimStatus.CANCELLED, cancel_reason="x")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(TransitionError),
    ):
        cancel_claim(claim_id=claim.pk, by=staff, reason="again")

    assert callbacks == []
    assert mail.outbox == []


def test_a_batch_fulfilment_locks_the_wishes_in_wish_order_and_answers_in_claim_order(staff):
    # Claims made in the opposite order of their wishes: locking by claim id would take the
    # wishes high to low, against every other service, and could deadlock with them.
    first_wish, second_wish = WishFactory(open=True), WishFactory(open=True)
    sponsor = SponsorFactory(verified=True)
    later_claim = claim_wish(wish_id=second_wish.pk, sponsor=sponsor, by=staff)
    earlier_claim = claim_wish(wish_id=first_wish.pk, sponsor=sponsor, by=staff)
    assert later_claim.pk < earlier_claim.pk

    with CaptureQueriesContext(connection) as queries:
        fulfilments = record_fulfilments(
            claim_ids=[earlier_claim.pk, later_claim.pk],
            by=staff,
            fulfilled_on=timezone.localdate(),
        )

    locked = [
        int(found.group(1))
        for query in queries.captured_queries
        if query["sql"].startswith('SELECT "wishes_wish"."id"')
        and (found := re.search(r'WHERE "wishes_wish"\."id" = (\d+)', query["sql"]))
    ]
    assert locked[:2] == [first_wish.pk, second_wish.pk]
    assert [f.claim_id for f in fulfilments] == sorted([earlier_claim.pk, later_claim.pk])
