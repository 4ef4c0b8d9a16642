"""The sponsor dashboard: own claims with history, letters, and cancelling a claim."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from sponsors.models import Sponsor, VerificationStatus
from tests.factories import (
    CampaignFactory,
    ChildFactory,
    ClaimFactory,
    FulfilmentFactory,
    SponsorMemberFactory,
    WishFactory,
)
from wishes.models import (
    Claim,
    ClaimStatus,
    LetterStatus,
    StatusChange,
    ThankYouLetter,
    Wish,
    WishCategory,
    WishStatus,
)
from wishes.services import cancel_claim, claim_wish

DASHBOARD = reverse("sponsors:dashboard")


def sponsor_of(user) -> Sponsor:
    return user.sponsor_member.sponsor


def history(subject) -> list[tuple[str, str]]:
    return list(
        StatusChange.objects.filter(
            content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk
        ).values_list("from_status", "to_status")
    )


@pytest.fixture
def own_claim(sponsor, open_wish):
    """An active claim of `sponsor`, made through the service so that it has history."""
    return claim_wish(
        wish_id=open_wish.pk,
        sponsor=sponsor_of(sponsor),
        by=sponsor,
        promised_on=datetime.date(2026, 12, 5),
    )


@pytest.fixture
def others_claim(other_sponsor):
    """An active claim of another sponsor."""
    return ClaimFactory(sponsor=sponsor_of(other_sponsor))


def cancel_url(claim: Claim) -> str:
    return reverse("sponsors:cancel_claim", args=[claim.pk])


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 302),
        ("plain_user", 403),
        ("staff", 403),
        ("coordinator", 403),
        ("sponsor", 200),
        ("unverified_sponsor", 200),
        ("other_sponsor", 200),
    ],
)
@pytest.mark.django_db
def test_dashboard_access(role, status, client_for):
    assert client_for(role).get(DASHBOARD).status_code == status


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 302),
        ("plain_user", 403),
        ("staff", 403),
        ("sponsor", 200),
        ("other_sponsor", 404),
        ("unverified_sponsor", 404),
    ],
)
@pytest.mark.django_db
def test_cancel_page_access(role, status, client_for, own_claim):
    assert client_for(role).get(cancel_url(own_claim)).status_code == status


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(DASHBOARD)
    assert response["Location"] == f"{reverse('login')}?next={DASHBOARD}"


@pytest.mark.django_db
def test_user_without_sponsor_gets_a_friendly_403(client_for):
    response = client_for("plain_user").get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "This page is for sponsors" in response.content.decode()


@pytest.mark.django_db
def test_pending_sponsor_is_told_what_happens_next(client_for):
    response = client_for("unverified_sponsor").get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "Your account is pending verification." in html
    assert "You are verified" not in html


@pytest.mark.django_db
def test_rejected_sponsor_sees_the_reason(client_for, unverified_sponsor):
    Sponsor.objects.filter(pk=sponsor_of(unverified_sponsor).pk).update(
        status=VerificationStatus.REJECTED, rejection_reason="联系电话无法接通"
    )
    response = client_for("unverified_sponsor").get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "Your registration was not accepted." in html
    assert "联系电话无法接通" in html


@pytest.mark.django_db
def test_verified_sponsor_sees_own_claims_in_every_status_but_no_private_data(
    client_for, sponsor, own_claim, others_claim
):
    fulfilled = FulfilmentFactory(claim__sponsor=sponsor_of(sponsor)).claim
    cancelled = ClaimFactory(
        sponsor=sponsor_of(sponsor),
        status=ClaimStatus.CANCELLED,
        cancel_reason="时间冲突",
        wish__status=WishStatus.OPEN,
    )
    response = client_for("sponsor").get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()

    assert "You are verified and can claim waiting wishes." in html
    for claim in (own_claim, fulfilled, cancelled):
        assert claim.wish.code in html
    assert others_claim.wish.code not in html
    assert "Active" in html
    assert "Fulfilled" in html
    assert "Cancelled" in html
    assert "时间冲突" in html
    assert "2026-12-05" in html
    assert own_claim.wish.public_text in html
    assert own_claim.wish.child.alias in html
    child = own_claim.wish.child
    for private in (
        child.real_name,
        child.guardian_name,
        child.guardian_phone,
        child.address,
        child.school.name,
        child.hardship_note,
        own_claim.wish.child_words,
    ):
        assert private not in html
    # Only the active claim offers cancellation.
    assert cancel_url(own_claim) in html
    assert cancel_url(fulfilled) not in html
    assert cancel_url(cancelled) not in html


@pytest.mark.django_db
def test_each_claim_shows_its_own_history(client_for, sponsor, own_claim):
    second = claim_wish(wish_id=WishFactory(open=True).pk, sponsor=sponsor_of(sponsor), by=sponsor)
    cancel_claim(claim_id=second.pk, by=sponsor, reason="单位预算调整")

    response = client_for("sponsor").get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    rows = {row.claim.pk: row for row in response.context["claims"]}
    assert [(e.change.from_status, e.change.to_status) for e in rows[own_claim.pk].history] == [
        ("", "active")
    ]
    assert [(e.change.from_status, e.change.to_status) for e in rows[second.pk].history] == [
        ("", "active"),
        ("active", "cancelled"),
    ]
    html = response.content.decode()
    assert "History (2 changes)" in html
    assert "单位预算调整" in html


@pytest.mark.django_db
def test_only_approved_letters_of_own_fulfilled_claims_are_shown(
    client_for, sponsor, other_sponsor
):
    own = FulfilmentFactory(claim__sponsor=sponsor_of(sponsor))
    others = FulfilmentFactory(claim__sponsor=sponsor_of(other_sponsor))
    ThankYouLetter.objects.create(
        fulfilment=own,
        transcription="谢谢叔叔阿姨送我的书！",
        shared_text="谢谢叔叔阿姨送我的书！",
        status=LetterStatus.APPROVED,
    )
    ThankYouLetter.objects.create(
        fulfilment=own, transcription="还没审核的信", status=LetterStatus.PENDING
    )
    ThankYouLetter.objects.create(
        fulfilment=others,
        transcription="给另一单位的信",
        shared_text="给另一单位的信",
        status=LetterStatus.APPROVED,
    )

    response = client_for("sponsor").get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "Thank-you letters" in html
    assert "谢谢叔叔阿姨送我的书！" in html
    assert "还没审核的信" not in html
    assert "给另一单位的信" not in html


@pytest.mark.django_db
def test_letters_section_says_letters_will_come(client_for):
    response = client_for("sponsor").get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "thank-you letter will appear here" in html
    assert "No letters yet." in html


@pytest.mark.django_db
def test_get_of_cancel_page_asks_for_a_reason_and_changes_nothing(client_for, own_claim):
    response = client_for("sponsor").get(cancel_url(own_claim), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'name="reason"' in response.content.decode()
    own_claim.refresh_from_db()
    assert own_claim.status == ClaimStatus.ACTIVE
    assert own_claim.wish.status == WishStatus.CLAIMED


@pytest.mark.django_db
def test_sponsor_cancels_own_claim_and_wish_is_open_again(
    client_for, settings, own_claim, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("sponsor").post(
            cancel_url(own_claim), {"reason": "  活动日期冲突  "}, HTTP_ACCEPT_LANGUAGE="en"
        )

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    own_claim.refresh_from_db()
    wish = Wish.objects.get(pk=own_claim.wish_id)
    assert own_claim.status == ClaimStatus.CANCELLED
    assert own_claim.cancel_reason == "活动日期冲突"
    assert wish.status == WishStatus.OPEN
    assert history(own_claim) == [("", "active"), ("active", "cancelled")]
    assert history(wish)[-1] == ("claimed", "open")
    assert mail.outbox[-1].to == settings.STAFF_NOTIFY_EMAILS


@pytest.mark.django_db
def test_cancelling_without_a_reason_shows_the_error_and_changes_nothing(client_for, own_claim):
    response = client_for("sponsor").post(
        cancel_url(own_claim), {"reason": "   "}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    own_claim.refresh_from_db()
    assert own_claim.status == ClaimStatus.ACTIVE
    assert history(own_claim) == [("", "active")]


@pytest.mark.django_db
def test_another_sponsors_claim_cannot_be_cancelled(client_for, others_claim):
    response = client_for("sponsor").post(cancel_url(others_claim), {"reason": "不想要了"})
    assert response.status_code == 404
    others_claim.refresh_from_db()
    assert others_claim.status == ClaimStatus.ACTIVE


@pytest.mark.django_db
def test_a_claim_that_is_no_longer_active_is_not_cancelled_again(client_for, sponsor):
    fulfilled = FulfilmentFactory(claim__sponsor=sponsor_of(sponsor)).claim
    response = client_for("sponsor").post(
        cancel_url(fulfilled), {"reason": "不想要了"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    fulfilled.refresh_from_db()
    assert fulfilled.status == ClaimStatus.FULFILLED
    assert fulfilled.cancel_reason == ""


def make_claims(sponsor: Sponsor, count: int) -> None:
    """`count` claims of the sponsor in every status, each with two history rows, in bulk."""
    child = ChildFactory()
    campaign = CampaignFactory()
    now = timezone.now()
    cycle = [
        (ClaimStatus.ACTIVE, WishStatus.CLAIMED),
        (ClaimStatus.FULFILLED, WishStatus.FULFILLED),
        (ClaimStatus.CANCELLED, WishStatus.OPEN),
    ]
    wishes = Wish.objects.bulk_create(
        Wish(
            code=f"HM2026-Q{i:05d}",
            child=child,
            campaign=campaign,
            category=WishCategory.BOOKS,
            child_words="我想要书",
            public_text=f"想要书 {i}",
            estimated_value=Decimal("50.00"),
            status=cycle[i % 3][1],
            published_at=now,
        )
        for i in range(count)
    )
    claims = Claim.objects.bulk_create(
        Claim(
            wish=wish,
            sponsor=sponsor,
            status=cycle[i % 3][0],
            cancel_reason="原因" if cycle[i % 3][0] == ClaimStatus.CANCELLED else "",
        )
        for i, wish in enumerate(wishes)
    )
    claim_type = ContentType.objects.get_for_model(Claim)
    StatusChange.objects.bulk_create(
        StatusChange(
            content_type=claim_type,
            object_id=claim.pk,
            from_status=from_status,
            to_status=to_status,
        )
        for claim in claims
        for from_status, to_status in [("", "active"), ("active", claim.status)]
    )


@pytest.mark.parametrize("count", [10, 200])
@pytest.mark.django_db
def test_dashboard_query_count_does_not_grow_with_claims(
    client_for, sponsor, count, django_assert_num_queries
):
    make_claims(sponsor_of(sponsor), count)
    letter_for = FulfilmentFactory(claim__sponsor=sponsor_of(sponsor))
    ThankYouLetter.objects.create(
        fulfilment=letter_for, transcription="谢谢！", status=LetterStatus.APPROVED
    )
    client = client_for("sponsor")
    # 1 session, 2 user with membership, sponsor and region, 3 claims counted by status,
    # 4 one page of claims with wish, child alias, fulfilment and event, 5 history of those
    # claims, 6-8 the drop-off deadlines, events and points of the page's active claims,
    # 9 photos shared with the sponsor and 10 letters pending or delivered for the page's
    # fulfilled claims, 11 the newest approved letters, 12 the member's volunteer hours,
    # 13 the upcoming events with the sponsor's sign-up, 14 the fulfilled claims still
    # waiting for the sponsor's feedback.
    with django_assert_num_queries(14):
        response = client.get(DASHBOARD)
    rows = response.context["claims"]
    assert len(rows) == 10
    assert response.context["page_obj"].paginator.count == count + 1
    assert sum(len(row.history) for row in rows) == 2 * sum(
        1 for row in rows if row.claim.pk != letter_for.claim_id
    )


def page_codes(response) -> list[str]:
    return [row.claim.wish.code for row in response.context["claims"]]


@pytest.mark.django_db
def test_claims_come_ten_a_page_newest_first_and_every_claim_on_exactly_one_page(
    client_for, sponsor
):
    make_claims(sponsor_of(sponsor), 23)
    client = client_for("sponsor")
    newest_first = list(
        Claim.objects.filter(sponsor=sponsor_of(sponsor))
        .order_by("-created_at", "-id")
        .values_list("wish__code", flat=True)
    )

    pages = [client.get(DASHBOARD, {"page": number}) for number in (1, 2, 3)]

    assert [len(page_codes(page)) for page in pages] == [10, 10, 3]
    assert sum((page_codes(page) for page in pages), []) == newest_first
    html = pages[0].content.decode()
    assert "?page=2" in html
    assert "第 1 页，共 3 页" in html


@pytest.mark.parametrize("page", ["99", "abc", "-1", ""])
@pytest.mark.django_db
def test_a_page_number_out_of_range_or_not_a_number_shows_a_page_not_an_error(
    client_for, sponsor, page
):
    make_claims(sponsor_of(sponsor), 12)
    response = client_for("sponsor").get(DASHBOARD, {"page": page})
    assert response.status_code == 200
    assert response.context["page_obj"].number in (1, 2)
    assert len(page_codes(response)) in (2, 10)


@pytest.mark.django_db
def test_status_tabs_count_and_filter_the_claims(client_for, sponsor, others_claim):
    make_claims(sponsor_of(sponsor), 7)  # 3 active, 2 fulfilled, 2 cancelled
    client = client_for("sponsor")

    response = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    tabs = {value: count for value, _label, count in response.context["tabs"]}
    assert tabs == {None: 7, "active": 3, "gift_received": 0, "fulfilled": 2, "cancelled": 2}
    html = response.content.decode()
    assert f'href="{DASHBOARD}?status=active"' in html
    assert 'aria-current="page" href="' + DASHBOARD + '"' in html

    for status, expected in [("active", 3), ("fulfilled", 2), ("cancelled", 2)]:
        response = client.get(DASHBOARD, {"status": status})
        rows = response.context["claims"]
        assert len(rows) == expected
        assert {row.claim.status for row in rows} == {status}
        assert response.context["page_obj"].paginator.count == expected
    assert others_claim.wish.code not in client.get(DASHBOARD).content.decode()


@pytest.mark.parametrize("status", ["released", "ACTIVE", "<script>", "active'--"])
@pytest.mark.django_db
def test_an_unknown_status_shows_all_claims(client_for, sponsor, status):
    make_claims(sponsor_of(sponsor), 4)
    response = client_for("sponsor").get(DASHBOARD, {"status": status})
    assert response.status_code == 200
    assert response.context["status"] is None
    assert len(response.context["claims"]) == 4
    assert "<script>" not in response.content.decode().split("<main", 1)[-1]


@pytest.mark.django_db
def test_pages_keep_the_status_filter(client_for, sponsor):
    make_claims(sponsor_of(sponsor), 36)  # 12 active
    response = client_for("sponsor").get(DASHBOARD, {"status": "active"})
    html = response.content.decode()
    assert "?status=active&amp;page=2" in html
    second = client_for("sponsor").get(DASHBOARD, {"status": "active", "page": 2})
    assert len(page_codes(second)) == 2


@pytest.mark.django_db
def test_a_filter_with_no_claims_says_so(client_for, sponsor, own_claim):
    response = client_for("sponsor").get(
        DASHBOARD, {"status": "cancelled"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert "No claims with this status." in html
    assert "You have not claimed any wish yet." not in html


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.django_db
def test_dashboard_only_answers_reads(client_for, method):
    assert getattr(client_for("sponsor"), method)(DASHBOARD).status_code == 405


@pytest.mark.django_db
def test_dashboard_renders_in_english(client_for):
    response = client_for("sponsor").get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"
    assert "My claims" in response.content.decode()


@pytest.mark.django_db
def test_second_member_of_a_unit_sees_the_units_claims(client, sponsor, own_claim):
    colleague = SponsorMemberFactory(sponsor=sponsor_of(sponsor)).user
    client.force_login(colleague)
    response = client.get(DASHBOARD)
    assert own_claim.wish.code in response.content.decode()
