"""Rejecting a verified sponsor can give its active claims back: all at once, or nothing."""

import uuid
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import constants, get_messages
from django.db import DatabaseError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

import wishes.services.claims
from huamu.errors import TransitionError
from sponsors.models import Sponsor, VerificationStatus
from sponsors.services import reject_sponsor
from tests.factories import (
    ClaimFactory,
    FulfilmentFactory,
    SponsorFactory,
    SponsorMemberFactory,
    WishFactory,
)
from tests.wishes.services.test_race import run_at_once
from wishes.audit import history_of
from wishes.models import Claim, ClaimStatus, StatusChange, Wish, WishStatus
from wishes.services import cancel_claim, claim_wish, record_fulfilment

pytestmark = pytest.mark.django_db

REASON = "单位已注销"
# The note each cancelled claim and reopened wish gets, in English (see `english`).
NOTE = f"Sponsor's verification withdrawn: {REASON}"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


@pytest.fixture(autouse=True)
def english():
    # Notes and messages are matched in English, whatever catalogues exist.
    with translation.override("en"):
        yield


@pytest.fixture
def public_cache(settings):
    """Public page caching on, in an in-memory cache of this test's own (as test_cache.py)."""
    settings.CACHES = {"default": {"BACKEND": LOCMEM, "LOCATION": f"test-{uuid.uuid4().hex}"}}
    settings.HUAMU_PUBLIC_CACHE = True


@pytest.fixture
def holder() -> Sponsor:
    """A verified unit with one member, mail in English, and three active claims."""
    sponsor = SponsorMemberFactory(
        user__username="holder_member",
        sponsor=SponsorFactory(verified=True, name="Expo Centre", language="en"),
    ).sponsor
    for alias in ("小王同学", "小李同学", "小张同学"):
        ClaimFactory(sponsor=sponsor, wish__child__alias=alias)
    return sponsor


def active_claims(sponsor: Sponsor) -> list[Claim]:
    return list(sponsor.claims.filter(status=ClaimStatus.ACTIVE).order_by("pk"))


def changes(subject) -> list[tuple]:
    return [(c.from_status, c.to_status, c.by, c.note) for c in history_of(subject)]


def snapshot(sponsor: Sponsor) -> dict:
    """Everything a rejection may change: compared before and after a refusal."""
    claims = Claim.objects.filter(sponsor=sponsor).order_by("pk")
    return {
        "sponsor": Sponsor.objects.values_list("status", "decided_at").get(pk=sponsor.pk),
        "claims": list(claims.values_list("pk", "status", "cancel_reason", "updated_at")),
        "wishes": list(
            Wish.objects.filter(claims__sponsor=sponsor)
            .order_by("pk")
            .values_list("pk", "status", "updated_at")
        ),
        "history": StatusChange.objects.count(),
    }


# --- the service ----------------------------------------------------------------------------


def test_release_cancels_every_active_claim_and_opens_its_wish(staff, holder):
    held = active_claims(holder)
    fulfilled = FulfilmentFactory(claim__sponsor=holder).claim
    cancelled = ClaimFactory(
        sponsor=holder,
        status=ClaimStatus.CANCELLED,
        cancel_reason="换一个心愿",
        wish__status=WishStatus.OPEN,
    )
    untouched = {c.pk: (c.status, c.wish.status, c.updated_at) for c in (fulfilled, cancelled)}
    before = timezone.now()

    rejected = reject_sponsor(
        sponsor_id=holder.pk, by=staff, reason=f" {REASON} ", release_claims=True
    )

    assert [c.pk for c in rejected.released_claims] == [c.pk for c in held]
    holder.refresh_from_db()
    assert holder.status == VerificationStatus.REJECTED
    assert changes(holder) == [
        (VerificationStatus.VERIFIED, VerificationStatus.REJECTED, staff, REASON)
    ]
    for claim in held:
        claim.refresh_from_db()
        assert (claim.status, claim.cancel_reason) == (ClaimStatus.CANCELLED, NOTE)
        assert claim.wish.status == WishStatus.OPEN
        assert changes(claim) == [(ClaimStatus.ACTIVE, ClaimStatus.CANCELLED, staff, NOTE)]
        assert changes(claim.wish) == [(WishStatus.CLAIMED, WishStatus.OPEN, staff, NOTE)]
        for row in [*history_of(claim), *history_of(claim.wish)]:
            assert before <= row.at <= timezone.now()
    for claim in (fulfilled, cancelled):
        claim.refresh_from_db()
        assert (claim.status, claim.wish.status, claim.updated_at) == untouched[claim.pk]
        assert not history_of(claim).exists()
    # The sponsor's row plus a claim row and a wish row for each of the three.
    assert StatusChange.objects.count() == 1 + 2 * 3


def test_without_release_the_claims_stay_active(staff, holder, mailoutbox):
    held = active_claims(holder)

    rejected = reject_sponsor(sponsor_id=holder.pk, by=staff, reason=REASON)

    assert rejected.released_claims == []
    holder.refresh_from_db()
    assert holder.status == VerificationStatus.REJECTED
    assert active_claims(holder) == held
    assert set(Wish.objects.filter(claims__in=held).values_list("status", flat=True)) == {
        WishStatus.CLAIMED
    }
    assert StatusChange.objects.count() == 1


def test_rejecting_a_pending_sponsor_without_claims_is_as_before(
    staff, django_capture_on_commit_callbacks, mailoutbox
):
    pending = SponsorFactory(name="Science Museum", language="en")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reject_sponsor(sponsor_id=pending.pk, by=staff, reason="Unknown unit", release_claims=True)

    pending.refresh_from_db()
    assert pending.status == VerificationStatus.REJECTED
    assert changes(pending) == [
        (VerificationStatus.PENDING, VerificationStatus.REJECTED, staff, "Unknown unit")
    ]
    # Only the sponsor's own mail: no staff notice when nothing was released.
    assert len(callbacks) == 1
    [message] = mailoutbox
    assert message.to == [pending.email]
    assert "claim" not in message.body


def test_mails_name_the_released_wishes_once_for_the_batch(
    staff, holder, django_capture_on_commit_callbacks, mailoutbox
):
    held = active_claims(holder)
    codes = [c.wish.code for c in held]

    with django_capture_on_commit_callbacks(execute=True):
        reject_sponsor(sponsor_id=holder.pk, by=staff, reason=REASON, release_claims=True)

    # One mail to the sponsor and ONE to staff for three claims, not one per claim.
    assert len(mailoutbox) == 2
    [to_staff] = [m for m in mailoutbox if m.to == django_settings.STAFF_NOTIFY_EMAILS]
    [to_sponsor] = [m for m in mailoutbox if m.to == holder.addresses()]
    assert "Your 3 active claims were cancelled" in to_sponsor.body
    for claim in held:
        child = claim.wish.child
        assert f"- {claim.wish.code} ({child.alias})" in to_sponsor.body
        assert child.real_name not in to_sponsor.body + to_staff.body
        assert reverse("admin:wishes_claim_change", args=[claim.pk]) in to_staff.body
    # Staff read the site's default language.
    assert to_staff.subject == "Expo Centre审核未通过：其 3 项有效认领已取消"
    assert all(code in to_staff.body for code in codes)
    assert REASON in to_staff.body


def test_without_release_the_mail_says_nothing_of_claims(
    staff, holder, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        reject_sponsor(sponsor_id=holder.pk, by=staff, reason=REASON)

    [message] = mailoutbox
    assert "active claim" not in message.body
    assert all(c.wish.code not in message.body for c in active_claims(holder))


def test_a_withdrawn_verification_is_called_so_in_the_mail(
    staff, holder, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        reject_sponsor(sponsor_id=holder.pk, by=staff, reason=REASON)

    [message] = mailoutbox
    assert message.subject == "The verification of Expo Centre is withdrawn"
    assert "has withdrawn the verification of Expo Centre" in message.body
    assert "could not verify" not in message.body
    assert REASON in message.body


def _fail_on_second_call(real):
    """Wrap set_status so that it fails when it reopens the second wish."""
    calls = []

    def failing(subject, *args, **kwargs):
        if isinstance(subject, Wish):
            calls.append(1)
        if len(calls) == 2:
            raise TransitionError("The wish is locked by a test.")
        return real(subject, *args, **kwargs)

    return failing


def test_a_failing_cancellation_undoes_the_rejection_and_every_claim(
    staff, holder, django_capture_on_commit_callbacks
):
    before = snapshot(holder)
    second = active_claims(holder)[1]
    failing = _fail_on_second_call(wishes.services.claims.set_status)

    with (
        mock.patch.object(wishes.services.claims, "set_status", failing),
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(TransitionError, match="Nothing was changed") as refusal,
    ):
        reject_sponsor(sponsor_id=holder.pk, by=staff, reason=REASON, release_claims=True)

    assert second.wish.code in str(refusal.value)
    assert "locked by a test" in str(refusal.value)
    assert snapshot(holder) == before
    holder.refresh_from_db()
    assert holder.is_verified
    assert len(active_claims(holder)) == 3
    # Neither the sponsor nor staff hear of a rejection that did not happen.
    assert callbacks == []


def test_a_constraint_failing_midway_undoes_everything(staff, holder):
    # A real refusal by the database (a second active claim on a wish), which on PostgreSQL
    # aborts the transaction: the savepoint of the service must still undo all of it.
    before = snapshot(holder)
    still_claimed = active_claims(holder)[2]
    real = wishes.services.claims.set_status
    calls = []

    def breaking(subject, *args, **kwargs):
        if isinstance(subject, Wish):
            calls.append(1)
        if len(calls) == 2:
            Claim.objects.create(wish=still_claimed.wish, sponsor=SponsorFactory(verified=True))
        return real(subject, *args, **kwargs)

    with (
        mock.patch.object(wishes.services.claims, "set_status", breaking),
        pytest.raises(TransitionError, match="Nothing was changed"),
    ):
        reject_sponsor(sponsor_id=holder.pk, by=staff, reason=REASON, release_claims=True)

    assert snapshot(holder) == before
    assert Claim.objects.filter(wish=still_claimed.wish).count() == 1


def _queries_to_reject(staff, claim_count: int) -> int:
    sponsor = SponsorFactory(verified=True)
    ClaimFactory.create_batch(claim_count, sponsor=sponsor)
    with CaptureQueriesContext(connection) as queries:
        reject_sponsor(sponsor_id=sponsor.pk, by=staff, reason=REASON, release_claims=True)
    assert len(active_claims(sponsor)) == 0
    return len(queries)


def test_release_writes_four_rows_per_claim_and_reads_in_constant_queries(staff):
    for model in (Sponsor, Claim, Wish):
        # The audit trail's content types, as a running server has them cached.
        ContentType.objects.get_for_model(model)

    one = _queries_to_reject(staff, 1)
    twenty = _queries_to_reject(staff, 20)

    # Savepoint, lock the sponsor, update it, its history row; the active claims' wish ids,
    # lock the wishes, lock the claims; per claim: update claim, its history row, update
    # wish, its history row; the released wishes' aliases, the sponsor's members' e-mail;
    # savepoint release; the running totals of the batch's wishes, claims and sponsor read
    # before and after, and their change inserted.
    assert one == 10 + 4 + 7
    assert twenty - one == 19 * 4


# --- the cached public list -----------------------------------------------------------------


def test_released_wishes_are_offered_again_on_the_cached_list(
    public_cache, staff, holder, django_capture_on_commit_callbacks
):
    urls = [reverse("wishes:detail", args=[c.wish_id]) for c in active_claims(holder)]
    visitor = Client()
    visitor.get("/wishes/")
    cached = visitor.get("/wishes/").text
    assert not any(url in cached for url in urls)

    with django_capture_on_commit_callbacks(execute=True):
        reject_sponsor(sponsor_id=holder.pk, by=staff, reason=REASON, release_claims=True)

    listed = visitor.get("/wishes/").text
    assert all(url in listed for url in urls)


# --- the admin action -----------------------------------------------------------------------


@pytest.fixture
def staff_client(client_for):
    return client_for("staff")


def changelist() -> str:
    return reverse("admin:sponsors_sponsor_changelist")


def choose_reject(client, sponsors):
    """Choose "Reject" on the list page for `sponsors`, as the "Run" button does."""
    data = {
        "action": "reject",
        "index": "0",
        "select_across": "0",
        "_selected_action": [str(s.pk) for s in sponsors],
    }
    return client.post(changelist(), data, HTTP_ACCEPT_LANGUAGE="en")


def submit_reject(client, sponsors, **fields):
    """Submit the intermediate page, as its button does."""
    data = {"action": "reject", "apply": "1", "_selected_action": [str(s.pk) for s in sponsors]}
    return client.post(changelist(), {**data, **fields}, HTTP_ACCEPT_LANGUAGE="en")


def notes(response, level: int) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == level]


def test_reject_page_counts_the_active_claims_and_ticks_the_box(staff_client, holder):
    other = SponsorFactory(verified=True)
    ClaimFactory.create_batch(2, sponsor=other)
    FulfilmentFactory(claim__sponsor=other)

    page = choose_reject(staff_client, [holder, other])

    assert page.status_code == 200
    html = page.text
    assert "The selected sponsors hold 5 active claims" in html
    form = page.context["adminform"].form
    assert list(form.fields) == ["reason", "release_claims"]
    assert str(form["release_claims"]) == (
        '<input type="checkbox" name="release_claims" id="id_release_claims" checked>'
    )
    assert "Also cancel its active claims; the wishes return to the waiting list" in html


def test_reject_page_without_claims_asks_only_for_the_reason(staff_client):
    pending = SponsorFactory()

    page = choose_reject(staff_client, [pending])

    assert list(page.context["adminform"].form.fields) == ["reason"]
    assert "release_claims" not in page.text
    assert "its existing claims stay as they are" in page.text


def test_submitting_with_the_box_releases_the_claims(staff_client, staff, holder):
    codes = ", ".join(c.wish.code for c in active_claims(holder))

    response = submit_reject(staff_client, [holder], reason=REASON, release_claims="on")

    assert response.status_code == 302
    holder.refresh_from_db()
    assert holder.status == VerificationStatus.REJECTED
    assert active_claims(holder) == []
    assert holder.claims.filter(status=ClaimStatus.CANCELLED).count() == 3
    assert notes(response, constants.SUCCESS) == [
        f"Expo Centre is rejected; its 3 active claims on {codes} are cancelled and the "
        "wishes wait for a sponsor again."
    ]
    assert notes(response, constants.ERROR) == []


def test_submitting_without_the_box_keeps_the_claims(staff_client, holder):
    held = active_claims(holder)

    response = submit_reject(staff_client, [holder], reason=REASON)

    assert response.status_code == 302
    holder.refresh_from_db()
    assert holder.status == VerificationStatus.REJECTED
    assert active_claims(holder) == held
    assert notes(response, constants.SUCCESS) == ["Expo Centre is rejected."]


def test_a_reason_is_required_and_the_box_stays_as_it_was(staff_client, holder):
    response = submit_reject(staff_client, [holder], reason="  ", release_claims="on")

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["reason"]
    assert "checked" in str(form["release_claims"])
    holder.refresh_from_db()
    assert holder.is_verified
    assert len(active_claims(holder)) == 3


def test_a_failing_cancellation_is_reported_and_changes_nothing(staff_client, holder):
    pending = SponsorFactory(name="Science Museum")
    failing = _fail_on_second_call(wishes.services.claims.set_status)

    with mock.patch.object(wishes.services.claims, "set_status", failing):
        response = submit_reject(
            staff_client, [holder, pending], reason=REASON, release_claims="on"
        )

    assert response.status_code == 302
    [error] = notes(response, constants.ERROR)
    assert error.startswith("Expo Centre: Nothing was changed: the claim on wish ")
    holder.refresh_from_db()
    assert holder.is_verified
    assert len(active_claims(holder)) == 3
    # One sponsor's failure stops nobody else's rejection.
    pending.refresh_from_db()
    assert pending.status == VerificationStatus.REJECTED
    assert notes(response, constants.SUCCESS) == ["Science Museum is rejected."]


# --- real concurrency (threads, each with its own connection; run on both databases) --------

# As in tests/wishes/services/test_race.py: threads cannot share an in-memory SQLite database.
threads_share_the_database = pytest.mark.skipif(
    connection.vendor == "sqlite"
    and connection.settings_dict.get("TEST", {}).get("NAME") in (None, "", ":memory:"),
    reason="needs a file-based SQLite test database (settings DATABASES TEST NAME)",
)


@threads_share_the_database
@pytest.mark.django_db(transaction=True)
def test_a_claim_racing_the_rejection_is_refused_or_released(staff):
    member = SponsorMemberFactory(sponsor=SponsorFactory(verified=True))
    holder = member.sponsor
    ClaimFactory.create_batch(2, sponsor=holder)
    wish = WishFactory(open=True)

    results = run_at_once(
        [
            lambda: reject_sponsor(
                sponsor_id=holder.pk, by=staff, reason=REASON, release_claims=True
            ),
            lambda: claim_wish(wish_id=wish.pk, sponsor=holder, by=member.user),
        ]
    )

    rejected, claimed = results
    assert isinstance(rejected, Sponsor), results
    # Both orders are fine: the claim came first and was released with the others, or
    # the rejection came first and the claim was refused. A claim never survives.
    if isinstance(claimed, Claim):
        assert claimed.pk in [c.pk for c in rejected.released_claims]
    else:
        assert isinstance(claimed, TransitionError), results
    assert active_claims(holder) == []
    wish.refresh_from_db()
    assert wish.status == WishStatus.OPEN


@threads_share_the_database
@pytest.mark.django_db(transaction=True)
def test_cancelling_and_fulfilling_while_the_sponsor_is_rejected_never_deadlocks(staff):
    holder = SponsorFactory(verified=True)
    own, fulfilled, *rest = ClaimFactory.create_batch(4, sponsor=holder)

    results = run_at_once(
        [
            lambda: reject_sponsor(
                sponsor_id=holder.pk, by=staff, reason=REASON, release_claims=True
            ),
            lambda: cancel_claim(claim_id=own.pk, by=staff, reason="换一个心愿"),
            lambda: record_fulfilment(
                claim_id=fulfilled.pk, by=staff, fulfilled_on=timezone.localdate()
            ),
        ]
    )

    # A deadlock or lock timeout would be a DatabaseError; a loser gets a TransitionError.
    assert not any(isinstance(r, DatabaseError) for r in results), results
    assert isinstance(results[0], Sponsor), results
    assert active_claims(holder) == []
    for claim in (own, fulfilled, *rest):
        claim.refresh_from_db()
        # Exactly one change per claim, by whichever service got it first.
        assert len(changes(claim)) == 1, (claim, changes(claim))
        expected = (
            WishStatus.FULFILLED if claim.status == ClaimStatus.FULFILLED else WishStatus.OPEN
        )
        assert claim.wish.status == expected
    assert {c.pk for c in results[0].released_claims} >= {c.pk for c in rest}
