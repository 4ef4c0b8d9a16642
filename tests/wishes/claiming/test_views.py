"""Claiming wishes online through the pages: one wish with a confirmation, or a batch."""

import datetime

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    PASSWORD,
    ClaimFactory,
    RegionFactory,
    SponsorFactory,
    SponsorMemberFactory,
    WishFactory,
)
from wishes.claiming.forms import MAX_PROMISE_DAYS
from wishes.models import (
    Claim,
    ClaimStatus,
    PublicLocation,
    StatusChange,
    WishCategory,
    WishStatus,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def individual_sponsor(db):
    """A user who claims as a verified caring individual, not for a unit."""
    return SponsorMemberFactory(
        user__username="individual", sponsor=SponsorFactory(verified=True, individual=True)
    ).user


@pytest.fixture
def rejected_sponsor(db):
    """A user whose unit's registration was rejected by the association."""
    return SponsorMemberFactory(
        user__username="rejected", sponsor=SponsorFactory(status="rejected")
    ).user


@pytest.fixture
def english(client_for):
    """Like client_for, but the pages answer in English so that tests can read them."""

    def make(role: str) -> Client:
        client = client_for(role)
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def in_days(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def claim_url(wish) -> str:
    return reverse("wishes:claim", args=[wish.pk])


BATCH_URL = reverse("wishes:batch_claim")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def nothing_written() -> bool:
    return not Claim.objects.exists() and not StatusChange.objects.exists()


# --- who may claim ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, name, status",
    [
        ("anonymous", "wishes:claim", 302),
        ("plain_user", "wishes:claim", 403),
        ("staff", "wishes:claim", 403),
        ("coordinator", "wishes:claim", 403),
        ("unverified_sponsor", "wishes:claim", 403),
        ("rejected_sponsor", "wishes:claim", 403),
        ("sponsor", "wishes:claim", 200),
        ("other_sponsor", "wishes:claim", 200),
        ("individual_sponsor", "wishes:claim", 200),
        ("anonymous", "wishes:batch_claim", 302),
        ("plain_user", "wishes:batch_claim", 403),
        ("staff", "wishes:batch_claim", 403),
        ("coordinator", "wishes:batch_claim", 403),
        ("unverified_sponsor", "wishes:batch_claim", 403),
        ("rejected_sponsor", "wishes:batch_claim", 403),
        ("sponsor", "wishes:batch_claim", 200),
        ("other_sponsor", "wishes:batch_claim", 200),
        ("individual_sponsor", "wishes:batch_claim", 403),
    ],
)
def test_access(role, name, status, client_for, open_wish):
    args = [open_wish.pk] if name == "wishes:claim" else []
    response = client_for(role).get(reverse(name, args=args))
    assert response.status_code == status


@pytest.mark.parametrize("name", ["wishes:claim", "wishes:batch_claim"])
def test_anonymous_is_sent_to_login_and_back(name, client_for, open_wish):
    url = reverse(name, args=[open_wish.pk] if name == "wishes:claim" else [])
    response = client_for("anonymous").get(url)
    assert response.url == f"{reverse('login')}?next={url}"


def test_user_without_sponsor_is_told_to_sign_up(english, open_wish):
    response = english("plain_user").get(claim_url(open_wish))
    assert response.status_code == 403
    assert "Only registered sponsors can claim wishes" in response.text
    assert f'href="{reverse("sponsors:register")}"' in response.text


def test_pending_sponsor_is_told_registration_awaits_verification(english, open_wish):
    response = english("unverified_sponsor").get(claim_url(open_wish))
    assert response.status_code == 403
    assert "awaiting verification" in response.text
    assert reverse("sponsors:register") not in response.text


def test_rejected_sponsor_is_told_registration_was_not_accepted(english, open_wish):
    response = english("rejected_sponsor").get(claim_url(open_wish))
    assert response.status_code == 403
    assert "was not accepted" in response.text


def test_individual_is_told_batch_claims_are_for_units(english, open_wish):
    response = english("individual_sponsor").get(BATCH_URL)
    assert response.status_code == 403
    assert "Claiming several wishes at once is for caring units" in response.text


def test_refused_post_writes_nothing(client_for, open_wish):
    response = client_for("unverified_sponsor").post(
        claim_url(open_wish), {"promised_on": in_days(10)}
    )
    assert response.status_code == 403
    assert nothing_written()


def test_post_without_csrf_token_is_refused(sponsor, open_wish):
    client = Client(enforce_csrf_checks=True)
    client.login(username=sponsor.username, password=PASSWORD)
    response = client.post(claim_url(open_wish), {"promised_on": in_days(10)})
    assert response.status_code == 403
    assert nothing_written()


# --- one wish: the confirmation page -----------------------------------------------------


def test_confirmation_shows_public_data_only(english, open_wish):
    child = open_wish.child
    response = english("sponsor").get(claim_url(open_wish))
    html = response.text
    assert response.status_code == 200
    for shown in [open_wish.code, child.alias, open_wish.public_text, "Grades 3–4", "Books"]:
        assert shown in html
    # public_location is REGION by default: the region, never the school or the address.
    assert child.home_region.name in html
    for hidden in [
        child.real_name,
        child.guardian_name,
        child.guardian_phone,
        child.address,
        child.school.name,
        child.hardship_note,
        open_wish.child_words,
    ]:
        assert hidden not in html
    assert 'name="promised_on"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_confirmation_shows_school_only_when_staff_chose_it_and_the_guardian_agreed(english):
    wish = WishFactory(open=True, child__public_location=PublicLocation.SCHOOL)
    assert wish.child.school.name not in english("sponsor").get(claim_url(wish)).text
    wish.child.consents.update(publish_school=True)
    html = english("sponsor").get(claim_url(wish)).text
    assert wish.child.school.name in html


def test_get_never_writes(client_for, open_wish):
    client_for("sponsor").get(claim_url(open_wish))
    open_wish.refresh_from_db()
    assert open_wish.status == WishStatus.OPEN
    assert nothing_written()


@pytest.mark.parametrize("status", [WishStatus.DRAFT, WishStatus.WITHDRAWN])
def test_unpublished_wish_is_not_found(status, client_for):
    wish = WishFactory(status=status)
    client = client_for("sponsor")
    assert client.get(claim_url(wish)).status_code == 404
    assert client.post(claim_url(wish), {"promised_on": in_days(10)}).status_code == 404
    assert nothing_written()


def test_unknown_wish_is_not_found(client_for):
    assert client_for("sponsor").get(reverse("wishes:claim", args=[999999])).status_code == 404


def test_claimed_wish_page_says_so_and_offers_others(english):
    taken = ClaimFactory().wish
    other = WishFactory(open=True)
    response = english("sponsor").get(claim_url(taken))
    assert response.status_code == 200
    assert f"Wish {taken.code} has already been claimed." in response.text
    assert reverse("wishes:detail", args=[other.pk]) in response.text
    assert 'name="promised_on"' not in response.text


# --- one wish: posting the claim ---------------------------------------------------------


def test_claim_succeeds_and_tells_staff_and_the_sponsor_after_commit(
    english, sponsor, open_wish, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = english("sponsor").post(claim_url(open_wish), {"promised_on": in_days(30)})

    assert response.status_code == 302
    claim = Claim.objects.get()
    assert response.url == reverse("sponsors:claim", args=[claim.pk])
    assert claim.wish == open_wish
    assert claim.sponsor == sponsor.sponsor_member.sponsor
    assert claim.status == ClaimStatus.ACTIVE
    assert claim.claimed_by == sponsor
    assert claim.promised_on.isoformat() == in_days(30)
    open_wish.refresh_from_db()
    assert open_wish.status == WishStatus.CLAIMED
    changes = {
        (c.object_id, c.from_status, c.to_status, c.by_id) for c in StatusChange.objects.all()
    }
    assert changes == {
        (claim.pk, "", ClaimStatus.ACTIVE, sponsor.pk),
        (open_wish.pk, WishStatus.OPEN, WishStatus.CLAIMED, sponsor.pk),
    }
    assert len(callbacks) == 2
    staff_mail, sponsor_mail = mailoutbox
    assert staff_mail.to == django_settings.STAFF_NOTIFY_EMAILS
    assert open_wish.code in staff_mail.body
    assert sponsor_mail.to == claim.sponsor.addresses()
    assert open_wish.code in sponsor_mail.body and in_days(30) in sponsor_mail.body
    assert reverse("sponsors:claim", args=[claim.pk]) in sponsor_mail.body
    assert any(open_wish.code in m and "Thank you" in m for m in messages_of(response))


def test_staff_mail_waits_for_commit(client_for, open_wish, mailoutbox):
    # The test transaction never commits, so the mail must not have gone out.
    client_for("sponsor").post(claim_url(open_wish), {"promised_on": in_days(30)})
    assert Claim.objects.count() == 1
    assert mailoutbox == []


@pytest.mark.parametrize("days", [0, MAX_PROMISE_DAYS])
def test_promised_date_from_today_to_the_limit_is_accepted(days, client_for, open_wish):
    response = client_for("sponsor").post(claim_url(open_wish), {"promised_on": in_days(days)})
    assert response.status_code == 302
    assert Claim.objects.get().promised_on.isoformat() == in_days(days)


@pytest.mark.parametrize(
    "promised_on, error",
    [
        ("", "Please say by when you will deliver the wish."),
        (in_days(-1), "cannot be in the past"),
        (in_days(MAX_PROMISE_DAYS + 1), f"within {MAX_PROMISE_DAYS} days"),
        ("not-a-date", "Enter a valid date."),
    ],
)
def test_bad_promised_date_is_a_form_error_and_writes_nothing(
    promised_on, error, english, open_wish
):
    response = english("sponsor").post(claim_url(open_wish), {"promised_on": promised_on})
    assert response.status_code == 200
    assert error in response.text
    open_wish.refresh_from_db()
    assert open_wish.status == WishStatus.OPEN
    assert nothing_written()


def test_second_sponsor_gets_lost_message_and_three_similar_wishes(
    english, sponsor, open_wish, mailoutbox, django_capture_on_commit_callbacks
):
    similar = [WishFactory(open=True, category=open_wish.category) for _ in range(3)]
    unlike = WishFactory(open=True, category=WishCategory.SPORTS, child__grade=9)
    already_claimed = ClaimFactory(wish__category=open_wish.category).wish
    assert (
        english("sponsor").post(claim_url(open_wish), {"promised_on": in_days(5)}).status_code
        == 302
    )
    first = Claim.objects.get(wish=open_wish)
    changes_before = StatusChange.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = english("other_sponsor").post(claim_url(open_wish), {"promised_on": in_days(5)})

    assert response.status_code == 409
    assert f"Wish {open_wish.code} has just been claimed by someone else." in response.text
    for wish in similar:
        assert f'href="{reverse("wishes:detail", args=[wish.pk])}"' in response.text
    assert unlike.code not in response.text
    assert already_claimed.code not in response.text
    assert list(Claim.objects.filter(wish=open_wish)) == [first]
    assert StatusChange.objects.count() == changes_before
    assert mailoutbox == []


def test_claim_limit_reached_gives_clear_message(english, sponsor, open_wish, settings):
    settings.HUAMU_MAX_ACTIVE_CLAIMS_UNIT = 1
    ClaimFactory(sponsor=sponsor.sponsor_member.sponsor)

    response = english("sponsor").post(claim_url(open_wish), {"promised_on": in_days(5)})

    assert response.status_code == 409
    assert "You already hold 1 active claims; the limit is 1." in response.text
    assert not Claim.objects.filter(wish=open_wish).exists()
    open_wish.refresh_from_db()
    assert open_wish.status == WishStatus.OPEN


def test_individual_limit_applies_to_individuals(english, individual_sponsor, settings):
    settings.HUAMU_MAX_ACTIVE_CLAIMS_INDIVIDUAL = 1
    settings.HUAMU_MAX_ACTIVE_CLAIMS_UNIT = 10
    ClaimFactory(sponsor=individual_sponsor.sponsor_member.sponsor)
    wish = WishFactory(open=True)

    response = english("individual_sponsor").post(claim_url(wish), {"promised_on": in_days(5)})

    assert response.status_code == 409
    assert "the limit is 1" in response.text


# --- batch claims for units ----------------------------------------------------------------


def test_batch_page_lists_open_wishes_with_checkboxes_and_no_private_data(english, open_wish):
    draft = WishFactory()
    claimed = ClaimFactory().wish
    response = english("sponsor").get(BATCH_URL)
    html = response.text
    assert f'name="wishes" value="{open_wish.pk}"' in html
    assert f'name="wishes" value="{draft.pk}"' not in html
    assert f'name="wishes" value="{claimed.pk}"' not in html
    assert open_wish.child.real_name not in html
    assert open_wish.child.school.name not in html
    assert "You hold 0 active claims; the limit is 30." in html


def test_batch_page_filters_by_region_grade_band_and_category(english):
    region = RegionFactory(name="北蔡镇")
    sports = WishCategory.SPORTS
    match = WishFactory(open=True, child__home_region=region, child__grade=5, category=sports)
    other_region = WishFactory(open=True, child__grade=5, category=sports)
    other_band = WishFactory(open=True, child__home_region=region, child__grade=1, category=sports)
    other_category = WishFactory(open=True, child__home_region=region, child__grade=5)
    # Staff hid this child's whereabouts: a region filter must not reveal it.
    hidden = WishFactory(
        open=True,
        child__home_region=region,
        child__grade=5,
        category=sports,
        child__public_location=PublicLocation.NONE,
    )

    response = english("sponsor").get(
        BATCH_URL, {"region": region.pk, "grade": "upper", "category": "sports"}
    )

    html = response.text
    assert f'name="wishes" value="{match.pk}"' in html
    for wish in [other_region, other_band, other_category, hidden]:
        assert f'name="wishes" value="{wish.pk}"' not in html


def test_batch_page_lists_the_longest_waiting_first_up_to_its_size(english, monkeypatch):
    monkeypatch.setattr("wishes.claiming.selectors.BATCH_LIST_SIZE", 2)
    monkeypatch.setattr("wishes.claiming.views.BATCH_LIST_SIZE", 2)
    now = timezone.now()
    oldest, older, newest = (
        WishFactory(open=True, published_at=now - datetime.timedelta(days=days))
        for days in (30, 20, 10)
    )
    html = english("sponsor").get(BATCH_URL).text
    assert f'name="wishes" value="{oldest.pk}"' in html
    assert f'name="wishes" value="{older.pk}"' in html
    assert f'name="wishes" value="{newest.pk}"' not in html
    assert "Only the 2 wishes waiting longest are listed" in html


def test_batch_page_queries_are_pinned(client_for, django_assert_num_queries):
    WishFactory.create_batch(5, open=True)
    client = client_for("sponsor")
    # session, user with its sponsor membership (the auth backend joins it), the open
    # wishes as public rows, the active claim count, the regions of the filter's select.
    with django_assert_num_queries(5):
        response = client.get(BATCH_URL)
    assert response.status_code == 200


def test_batch_claim_claims_every_ticked_wish(
    english, sponsor, django_capture_on_commit_callbacks, mailoutbox
):
    wishes = WishFactory.create_batch(3, open=True)
    untouched = WishFactory(open=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = english("sponsor").post(
            BATCH_URL, {"wishes": [w.pk for w in wishes], "promised_on": in_days(60)}
        )

    assert response.status_code == 302
    assert response.url == reverse("sponsors:dashboard")
    assert set(Claim.objects.values_list("wish_id", flat=True)) == {w.pk for w in wishes}
    assert {c.sponsor_id for c in Claim.objects.all()} == {sponsor.sponsor_member.sponsor_id}
    assert all(c.promised_on.isoformat() == in_days(60) for c in Claim.objects.all())
    untouched.refresh_from_db()
    assert untouched.status == WishStatus.OPEN
    assert messages_of(response) == ["Thank you! You have claimed 3 wishes."]
    # Staff hear of the batch once, and so does the sponsor, with each claim's page.
    staff_mail, sponsor_mail = mailoutbox
    assert staff_mail.to == django_settings.STAFF_NOTIFY_EMAILS
    assert sponsor_mail.to == Claim.objects.first().sponsor.addresses()
    for claim in Claim.objects.all():
        assert reverse("sponsors:claim", args=[claim.pk]) in sponsor_mail.body


def test_batch_with_one_taken_wish_claims_nothing_and_names_it(english):
    still_open = WishFactory(open=True)
    taken = ClaimFactory().wish
    claims_before = Claim.objects.count()

    response = english("sponsor").post(
        BATCH_URL, {"wishes": [still_open.pk, taken.pk], "promised_on": in_days(10)}
    )

    assert response.status_code == 409
    assert Claim.objects.count() == claims_before
    still_open.refresh_from_db()
    assert still_open.status == WishStatus.OPEN
    html = response.text
    assert f"Nothing was claimed: these wishes are no longer open: {taken.code}." in html
    assert taken.code in html.split('id="taken-wishes"')[1].split("</ul>")[0]
    # The form comes back with the still-open wish ticked and the taken one gone.
    assert f'value="{still_open.pk}" id="wish-{still_open.pk}" checked' in html
    assert f'name="wishes" value="{taken.pk}"' not in html


def test_batch_keeps_ticked_wish_outside_the_filter_on_redisplay(english):
    chosen = WishFactory(open=True, category=WishCategory.SPORTS)
    taken = ClaimFactory().wish
    response = english("sponsor").post(
        f"{BATCH_URL}?category=books",
        {"wishes": [chosen.pk, taken.pk], "promised_on": in_days(10)},
    )
    assert f'value="{chosen.pk}" id="wish-{chosen.pk}" checked' in response.text


def test_batch_over_the_limit_claims_nothing_with_clear_message(english, settings):
    settings.HUAMU_MAX_ACTIVE_CLAIMS_UNIT = 2
    wishes = WishFactory.create_batch(3, open=True)

    response = english("sponsor").post(
        BATCH_URL, {"wishes": [w.pk for w in wishes], "promised_on": in_days(10)}
    )

    assert response.status_code == 409
    assert "You already hold 0 active claims; the limit is 2." in response.text
    assert nothing_written()


@pytest.mark.parametrize(
    "data, error",
    [
        ({"promised_on": in_days(10)}, "Choose at least one wish."),
        ({"promised_on": in_days(-3), "tick": True}, "cannot be in the past"),
        ({"promised_on": "", "tick": True}, "Please say by when you will deliver the wish."),
        ({"promised_on": in_days(MAX_PROMISE_DAYS + 1), "tick": True}, "within"),
    ],
)
def test_batch_form_errors_write_nothing(data, error, english, open_wish):
    post = {"promised_on": data["promised_on"]}
    if data.get("tick"):
        post["wishes"] = [open_wish.pk]
    response = english("sponsor").post(BATCH_URL, post)
    assert response.status_code == 200
    assert error in response.text
    assert nothing_written()
    if data.get("tick"):
        assert f'value="{open_wish.pk}" id="wish-{open_wish.pk}" checked' in response.text


def test_batch_refuses_draft_wish_without_revealing_it(english, open_wish):
    draft = WishFactory()
    response = english("sponsor").post(
        BATCH_URL, {"wishes": [open_wish.pk, draft.pk], "promised_on": in_days(10)}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert draft.code not in response.text
    assert nothing_written()


def test_batch_get_never_writes(client_for, open_wish):
    client_for("sponsor").get(BATCH_URL, {"category": "books"})
    assert nothing_written()
