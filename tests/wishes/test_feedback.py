"""Feedback (评单): the sponsor and the school's coordinator each rate a fulfilled wish once."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from huamu.errors import TransitionError
from tests.factories import ClaimFactory, FulfilmentFactory, SponsorMemberFactory
from tests.sponsors.test_dashboard_cache import fragment_cache  # noqa: F401 (a fixture)
from wishes.models import Feedback, FeedbackRole, StatusChange
from wishes.services import give_feedback, record_fulfilment

pytestmark = pytest.mark.django_db

COMMENT_MARKER = "评单秘语FBQ7"


def sponsor_of(user):
    return user.sponsor_member.sponsor


@pytest.fixture
def fulfilment(sponsor, school):
    """A wish of a child at `school`, claimed by `sponsor` and fulfilled."""
    return FulfilmentFactory(
        claim__sponsor=sponsor_of(sponsor),
        claim__wish__child__school=school,
        fulfilled_on=datetime.date(2025, 12, 5),
    )


def sponsor_url(fulfilment) -> str:
    return reverse("sponsors:feedback", args=[fulfilment.claim.pk])


def school_url(fulfilment) -> str:
    return reverse("school:feedback", args=[fulfilment.pk])


# --- the service ------------------------------------------------------------------------


def test_the_sponsor_gives_feedback_and_it_is_audited(fulfilment, sponsor):
    feedback = give_feedback(
        claim_id=fulfilment.claim.pk,
        role=FeedbackRole.SPONSOR,
        rating=5,
        comment="  很顺利  ",
        by=sponsor,
    )

    assert (feedback.rating, feedback.comment, feedback.given_by) == (5, "很顺利", sponsor)
    change = StatusChange.objects.get(
        content_type=ContentType.objects.get_for_model(Feedback), object_id=feedback.pk
    )
    assert (change.from_status, change.to_status, change.by) == ("", "given", sponsor)


def test_a_second_feedback_of_the_same_role_is_refused(fulfilment, sponsor):
    give_feedback(claim_id=fulfilment.claim.pk, role=FeedbackRole.SPONSOR, rating=4, by=sponsor)
    colleague = SponsorMemberFactory(sponsor=sponsor_of(sponsor)).user

    with pytest.raises(TransitionError, match="已经评过单"):
        give_feedback(
            claim_id=fulfilment.claim.pk, role=FeedbackRole.SPONSOR, rating=1, by=colleague
        )

    assert list(Feedback.objects.values_list("rating", flat=True)) == [4]


def test_the_sponsor_and_the_coordinator_each_give_one(fulfilment, sponsor, coordinator):
    give_feedback(claim_id=fulfilment.claim.pk, role=FeedbackRole.SPONSOR, rating=4, by=sponsor)
    give_feedback(
        claim_id=fulfilment.claim.pk, role=FeedbackRole.COORDINATOR, rating=3, by=coordinator
    )

    assert Feedback.objects.count() == 2


def test_the_unique_constraint_is_the_last_word(fulfilment, sponsor, monkeypatch):
    # The check before the insert misses a feedback (as if a colleague's committed between):
    # the constraint refuses the second row, with the same message.
    give_feedback(claim_id=fulfilment.claim.pk, role=FeedbackRole.SPONSOR, rating=4, by=sponsor)
    monkeypatch.setattr(
        "wishes.services.feedback.Feedback.objects.filter",
        lambda **kwargs: Feedback.objects.none(),
    )

    with pytest.raises(TransitionError, match="已经评过单"):
        give_feedback(
            claim_id=fulfilment.claim.pk, role=FeedbackRole.SPONSOR, rating=2, by=sponsor
        )


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_a_rating_outside_1_to_5_is_refused(fulfilment, sponsor, rating):
    with pytest.raises(TransitionError, match="1 到 5"):
        give_feedback(
            claim_id=fulfilment.claim.pk, role=FeedbackRole.SPONSOR, rating=rating, by=sponsor
        )
    assert not Feedback.objects.exists()


def test_feedback_waits_for_the_fulfilment(sponsor):
    claim = ClaimFactory(sponsor=sponsor_of(sponsor))

    with pytest.raises(TransitionError, match="心愿实现后"):
        give_feedback(claim_id=claim.pk, role=FeedbackRole.SPONSOR, rating=5, by=sponsor)


def test_only_the_claims_sponsor_and_the_schools_coordinator_may_give_it(
    fulfilment, other_sponsor, other_coordinator, staff
):
    for role, user in [
        (FeedbackRole.SPONSOR, other_sponsor),
        (FeedbackRole.COORDINATOR, other_coordinator),
        (FeedbackRole.COORDINATOR, staff),
        (FeedbackRole.SPONSOR, staff),
    ]:
        with pytest.raises(TransitionError):
            give_feedback(claim_id=fulfilment.claim.pk, role=role, rating=5, by=user)
    assert not Feedback.objects.exists()


def test_a_comment_longer_than_500_characters_is_refused(fulfilment, sponsor):
    with pytest.raises(TransitionError, match="500"):
        give_feedback(
            claim_id=fulfilment.claim.pk,
            role=FeedbackRole.SPONSOR,
            rating=5,
            comment="好" * 501,
            by=sponsor,
        )


# --- the pages --------------------------------------------------------------------------

# (role, expected status) of the sponsor's and the coordinator's feedback pages.
SPONSOR_PAGE = [
    ("anonymous", 302),
    ("plain_user", 403),
    ("sponsor", 200),
    ("other_sponsor", 404),
    ("coordinator", 403),
    ("other_coordinator", 403),
    ("bare_staff", 403),
    ("staff", 403),
]
SCHOOL_PAGE = [
    ("anonymous", 302),
    ("plain_user", 403),
    ("sponsor", 403),
    ("other_sponsor", 403),
    ("coordinator", 200),
    ("other_coordinator", 404),
    ("bare_staff", 403),
    ("staff", 403),
]


@pytest.mark.parametrize("role, status", SPONSOR_PAGE)
def test_who_may_open_the_sponsors_feedback_page(role, status, fulfilment, client_for):
    response = client_for(role).get(sponsor_url(fulfilment))

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role, status", SCHOOL_PAGE)
def test_who_may_open_the_coordinators_feedback_page(role, status, fulfilment, client_for):
    response = client_for(role).get(school_url(fulfilment))

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "role, status",
    [(role, status) for role, status in SPONSOR_PAGE if status != 200],
)
def test_a_refused_post_to_the_sponsors_page_writes_nothing(role, status, fulfilment, client_for):
    response = client_for(role).post(sponsor_url(fulfilment), {"rating": "5"})

    assert response.status_code == status
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    "role, status",
    [(role, status) for role, status in SCHOOL_PAGE if status != 200],
)
def test_a_refused_post_to_the_coordinators_page_writes_nothing(
    role, status, fulfilment, client_for
):
    response = client_for(role).post(school_url(fulfilment), {"rating": "5"})

    assert response.status_code == status
    assert not Feedback.objects.exists()


def test_the_sponsor_rates_once_and_a_second_submit_is_refused(fulfilment, client_for):
    client = client_for("sponsor")

    first = client.post(sponsor_url(fulfilment), {"rating": "4", "comment": "孩子很开心"})
    second = client.post(sponsor_url(fulfilment), {"rating": "1", "comment": "再评一次"})

    assert first.status_code == second.status_code == 302
    assert list(Feedback.objects.values_list("role", "rating", "comment")) == [
        ("sponsor", 4, "孩子很开心")
    ]
    page = client.get(reverse("sponsors:dashboard")).content.decode()
    assert "已经" in page or "already" in page
    # Asked once: the form is not offered again.
    again = client.get(sponsor_url(fulfilment))
    assert again.status_code == 302


def test_the_second_submit_says_why(fulfilment, client_for):
    client = client_for("sponsor")
    client.post(sponsor_url(fulfilment), {"rating": "4"})

    response = client.post(
        sponsor_url(fulfilment), {"rating": "2"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "Feedback on this wish has already been given." in response.content.decode()


def test_the_coordinator_rates_once(fulfilment, client_for):
    client = client_for("coordinator")

    client.post(school_url(fulfilment), {"rating": "5", "comment": "很好"})
    client.post(school_url(fulfilment), {"rating": "3"})

    assert list(Feedback.objects.values_list("role", "rating")) == [("coordinator", 5)]


@pytest.mark.parametrize("rating", ["0", "6", "很好", "", "4.5"])
def test_a_bad_rating_is_refused_with_a_message(rating, fulfilment, client_for):
    response = client_for("sponsor").post(
        sponsor_url(fulfilment), {"rating": rating}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert "Choose a rating from 1 to 5." in response.content.decode()
    assert not Feedback.objects.exists()


def test_a_bad_rating_is_refused_in_chinese_by_default(fulfilment, client_for):
    response = client_for("coordinator").post(school_url(fulfilment), {"rating": "6"})

    assert response.status_code == 400
    assert "请选择 1 到 5 的评分。" in response.content.decode()
    assert not Feedback.objects.exists()


def test_a_too_long_comment_is_refused(fulfilment, client_for):
    response = client_for("sponsor").post(
        sponsor_url(fulfilment), {"rating": "5", "comment": "好" * 501}
    )

    assert response.status_code == 400
    assert not Feedback.objects.exists()


def test_an_unfulfilled_claim_has_no_feedback_form(sponsor, client_for):
    claim = ClaimFactory(sponsor=sponsor_of(sponsor))

    response = client_for("sponsor").post(
        reverse("sponsors:feedback", args=[claim.pk]), {"rating": "5"}
    )

    assert response.status_code == 302
    assert not Feedback.objects.exists()


def test_the_dashboard_asks_until_the_feedback_is_given(fulfilment, client_for):
    client = client_for("sponsor")
    link = sponsor_url(fulfilment)

    assert link in client.get(reverse("sponsors:dashboard")).content.decode()
    client.post(link, {"rating": "5"})
    assert link not in client.get(reverse("sponsors:dashboard")).content.decode()


def test_with_the_shared_cache_on_the_prompt_goes_once_the_feedback_is_given(
    fragment_cache,  # noqa: F811 (the fixture imported above)
    fulfilment,
    client_for,
    django_capture_on_commit_callbacks,
):
    client = client_for("sponsor")
    link = sponsor_url(fulfilment)
    # Twice: the second page comes from the cached fragment.
    client.get(reverse("sponsors:dashboard"))
    assert link in client.get(reverse("sponsors:dashboard")).content.decode()

    # Giving feedback bumps the cache's version when it commits.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link, {"rating": "5"})

    assert link not in client.get(reverse("sponsors:dashboard")).content.decode()


def test_the_school_overview_asks_its_coordinator_not_staff(fulfilment, client_for):
    link = school_url(fulfilment)
    overview = reverse("school:overview")

    assert link in client_for("coordinator").get(overview).content.decode()
    staff_page = client_for("staff").get(
        f"{overview}?school={fulfilment.claim.wish.child.school_id}"
    )
    assert staff_page.status_code == 200
    assert link not in staff_page.content.decode()

    client_for("coordinator").post(link, {"rating": "4"})
    assert link not in client_for("coordinator").get(overview).content.decode()


def test_the_fulfilment_mail_links_to_the_feedback_page(
    sponsor, school, coordinator, django_capture_on_commit_callbacks, mailoutbox
):
    claim = ClaimFactory(sponsor=sponsor_of(sponsor), wish__child__school=school)

    with django_capture_on_commit_callbacks(execute=True):
        record_fulfilment(claim_id=claim.pk, by=coordinator, fulfilled_on=timezone.localdate())

    (mail,) = mailoutbox
    assert reverse("sponsors:feedback", args=[claim.pk]) in mail.body


# --- the back office and the impact page ------------------------------------------------


def test_staff_see_the_feedback_on_the_claim_and_in_the_list(fulfilment, sponsor, client_for):
    give_feedback(
        claim_id=fulfilment.claim.pk,
        role=FeedbackRole.SPONSOR,
        rating=3,
        comment=COMMENT_MARKER,
        by=sponsor,
    )
    client = client_for("staff")

    claim_page = client.get(reverse("admin:wishes_claim_change", args=[fulfilment.claim.pk]))
    listing = client.get(reverse("admin:wishes_feedback_changelist") + "?role=sponsor&rating=3")

    assert claim_page.status_code == listing.status_code == 200
    assert COMMENT_MARKER in claim_page.content.decode()
    assert COMMENT_MARKER in listing.content.decode()
    # Read-only: nobody adds, changes or deletes feedback in the back office.
    feedback = Feedback.objects.get()
    assert client.get(reverse("admin:wishes_feedback_add")).status_code == 403
    assert (
        client.get(reverse("admin:wishes_feedback_delete", args=[feedback.pk])).status_code == 403
    )
    change = client.post(
        reverse("admin:wishes_feedback_change", args=[feedback.pk]), {"rating": "1"}
    )
    assert change.status_code == 403
    feedback.refresh_from_db()
    assert feedback.rating == 3


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 302),
        ("plain_user", 302),
        ("sponsor", 302),
        ("coordinator", 302),
        ("bare_staff", 403),
        ("staff", 200),
    ],
)
def test_the_feedback_list_is_for_staff_only(role, status, client_for, db):
    response = client_for(role).get(reverse("admin:wishes_feedback_changelist"))

    assert response.status_code == status
    if status == 302:
        assert reverse("admin:login") in response["Location"]


def test_the_impact_page_shows_the_average_and_count_never_a_comment(
    fulfilment, sponsor, coordinator, client
):
    give_feedback(
        claim_id=fulfilment.claim.pk,
        role=FeedbackRole.SPONSOR,
        rating=5,
        comment=COMMENT_MARKER,
        by=sponsor,
    )
    give_feedback(
        claim_id=fulfilment.claim.pk, role=FeedbackRole.COORDINATOR, rating=4, by=coordinator
    )

    html = client.get(reverse("impact:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Average rating 4.5 out of 5, over 2 ratings." in html
    assert COMMENT_MARKER not in html
