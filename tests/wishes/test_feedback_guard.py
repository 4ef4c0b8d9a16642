"""Feedback comments through the privacy guard, and the back office's reads of them logged.

A comment is free text a sponsor or coordinator types after fulfilment: like a
cancellation's reason, it may not name the child; what it says never reaches a public or
sponsor page; staff read it in the back office, and each read is in the access log.
"""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from huamu.errors import TransitionError
from tests.factories import ClaimFactory, SponsorMemberFactory
from tests.wishes.test_feedback import (  # noqa: F401 (a fixture)
    fulfilment,
    school_url,
    sponsor_url,
)
from wishes.models import AccessAction, AccessLog, ChildState, Feedback, FeedbackRole
from wishes.privacy.guard import PrivacyRefusal
from wishes.reports.impact_data import TABLE_KEYS
from wishes.services import anonymise_child, give_feedback, record_fulfilment

pytestmark = pytest.mark.django_db

MARKER = "评单标记GDQ9"


def _give(fulfilment, user, role=FeedbackRole.SPONSOR, comment=MARKER, rating=4):  # noqa: F811
    return give_feedback(
        claim_id=fulfilment.claim.pk, role=role, rating=rating, comment=comment, by=user
    )


# --- the guard on save ------------------------------------------------------------------


@pytest.mark.parametrize(
    "words",
    [
        lambda child: f"{child.real_name}很开心",
        # The given name alone, spaced out, and in pinyin are the name too.
        lambda child: f"{' '.join(child.real_name[1:])}收到了礼物",
        lambda child: f"送到了{child.school.name}",
        lambda child: f"{child.guardian_name}来接的",
    ],
)
def test_a_comment_naming_the_child_is_refused_and_nothing_is_saved(
    words,
    fulfilment,  # noqa: F811
    sponsor,
):
    comment = words(fulfilment.claim.wish.child)

    with pytest.raises(PrivacyRefusal):
        _give(fulfilment, sponsor, comment=comment)

    assert not Feedback.objects.exists()


def test_the_coordinators_comment_goes_through_the_guard_too(fulfilment, coordinator):  # noqa: F811
    child = fulfilment.claim.wish.child

    with pytest.raises(TransitionError):
        _give(fulfilment, coordinator, role=FeedbackRole.COORDINATOR, comment=child.real_name)

    assert not Feedback.objects.exists()
    _give(fulfilment, coordinator, role=FeedbackRole.COORDINATOR, comment="孩子很喜欢")
    assert Feedback.objects.get().comment == "孩子很喜欢"


def test_the_sponsors_form_says_what_to_take_out_and_keeps_the_text(fulfilment, client_for):  # noqa: F811
    child = fulfilment.claim.wish.child
    client = client_for("sponsor")
    comment = f"{child.real_name}笑得很开心"

    response = client.post(
        sponsor_url(fulfilment), {"rating": "5", "comment": comment}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "The comment contains the child&#x27;s name" in html
    assert f"<mark>{child.real_name}</mark>" in html
    assert not Feedback.objects.exists()
    # Taken out, the same form is accepted.
    again = client.post(sponsor_url(fulfilment), {"rating": "5", "comment": "孩子笑得很开心"})
    assert again.status_code == 302
    assert list(Feedback.objects.values_list("rating", "comment")) == [(5, "孩子笑得很开心")]


def test_the_coordinators_form_refuses_the_childs_name_in_chinese(fulfilment, client_for):  # noqa: F811
    child = fulfilment.claim.wish.child

    response = client_for("coordinator").post(
        school_url(fulfilment), {"rating": "4", "comment": f"{child.real_name}很开心"}
    )

    assert response.status_code == 400
    assert "评语" in response.content.decode()
    assert not Feedback.objects.exists()


# --- what leaves: no public or sponsor page carries a comment ----------------------------


def test_no_public_or_sponsor_page_carries_a_comment(
    fulfilment,  # noqa: F811
    sponsor,
    coordinator,
    client,
):
    _give(fulfilment, sponsor, comment=f"{MARKER}甲", rating=5)
    _give(fulfilment, coordinator, role=FeedbackRole.COORDINATOR, comment=f"{MARKER}乙", rating=4)
    wish = fulfilment.claim.wish

    public = [
        reverse("impact:index"),
        wish.get_absolute_url(),
        reverse("wishes:list"),
        reverse("feed:wishes"),
        *[reverse("impact:csv", args=[key]) for key in TABLE_KEYS],
    ]
    texts = []
    for url in public:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, url
        texts.append(response.content.decode("utf-8-sig"))
    workbook = load_workbook(io.BytesIO(client.get(reverse("impact:xlsx")).content))
    texts += [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    # Any member of the sponsor, on every page of its own.
    client.force_login(SponsorMemberFactory(sponsor=fulfilment.claim.sponsor).user)
    for url in [
        reverse("sponsors:dashboard"),
        f"{reverse('sponsors:dashboard')}?status=fulfilled",
        reverse("sponsors:claim", args=[fulfilment.claim.pk]),
        reverse("sponsors:fulfilled_list"),
        reverse("sponsors:notifications"),
    ]:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, url
        texts.append(response.content.decode("utf-8-sig"))

    assert [text for text in texts if MARKER in text] == []
    # The impact page shows the average and the count, and only those.
    assert "Average rating 4.5 out of 5, over 2 ratings." in texts[0]
    summary = texts[public.index(reverse("impact:csv", args=["summary"]))]
    assert "4.5" in [cell for row in csv.reader(io.StringIO(summary)) for cell in row]


# --- the back office: staff only, and every read logged ----------------------------------


def _logged(action):
    return list(
        AccessLog.objects.filter(action=action).values_list("object_id", "children__pk", "user")
    )


def test_staff_reading_the_list_and_a_comment_are_logged(
    fulfilment,  # noqa: F811
    sponsor,
    staff,
    client_for,
):
    feedback = _give(fulfilment, sponsor)
    child_id = fulfilment.claim.wish.child_id
    client = client_for("staff")

    listing = client.get(reverse("admin:wishes_feedback_changelist"))
    page = client.get(reverse("admin:wishes_feedback_change", args=[feedback.pk]))
    claim_page = client.get(reverse("admin:wishes_claim_change", args=[fulfilment.claim.pk]))

    assert listing.status_code == page.status_code == claim_page.status_code == 200
    assert MARKER in page.content.decode()
    assert MARKER in claim_page.content.decode()
    assert _logged(AccessAction.LIST_FEEDBACK) == [(None, child_id, staff.pk)]
    assert sorted(_logged(AccessAction.VIEW_FEEDBACK)) == sorted(
        [(feedback.pk, child_id, staff.pk), (fulfilment.claim.pk, child_id, staff.pk)]
    )


def test_a_claim_without_comments_is_no_read_of_feedback(fulfilment, sponsor, client_for):  # noqa: F811
    _give(fulfilment, sponsor, comment="")

    response = client_for("staff").get(
        reverse("admin:wishes_claim_change", args=[fulfilment.claim.pk])
    )

    assert response.status_code == 200
    assert not AccessLog.objects.filter(action=AccessAction.VIEW_FEEDBACK).exists()


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 302),
        ("sponsor", 302),
        ("coordinator", 302),
        ("bare_staff", 403),
        ("staff", 200),
    ],
)
def test_only_association_staff_read_a_comment(role, status, fulfilment, sponsor, client_for):  # noqa: F811
    feedback = _give(fulfilment, sponsor)

    response = client_for(role).get(reverse("admin:wishes_feedback_change", args=[feedback.pk]))

    assert response.status_code == status
    assert (MARKER in response.content.decode()) == (status == 200)
    # A refused read leaves no row.
    assert AccessLog.objects.filter(action=AccessAction.VIEW_FEEDBACK).exists() == (status == 200)


def test_bare_staff_see_no_comment_on_the_claims_page(fulfilment, sponsor, bare_staff, client_for):  # noqa: F811
    _give(fulfilment, sponsor)

    response = client_for("bare_staff").get(
        reverse("admin:wishes_claim_change", args=[fulfilment.claim.pk])
    )

    assert response.status_code == 403
    assert not AccessLog.objects.exists()


def test_anonymising_the_child_cleans_a_comment_naming_it_and_keeps_the_rating(
    fulfilment,  # noqa: F811
    sponsor,
):
    child = fulfilment.claim.wish.child
    # Written before the guard, or naming words recorded on the child since.
    Feedback.objects.create(
        claim=fulfilment.claim,
        role=FeedbackRole.SPONSOR,
        rating=5,
        comment=f"{child.real_name}很开心",
        given_by=sponsor,
    )

    anonymise_child(child_id=child.pk, by=None, reason="保存期满", kind=ChildState.ANONYMISED)

    feedback = Feedback.objects.get()
    assert feedback.rating == 5
    assert child.real_name not in feedback.comment
    assert feedback.comment.endswith("很开心")


# --- asked once -------------------------------------------------------------------------


def test_staff_recording_the_fulfilment_asks_the_sponsor_and_coordinator_once_by_mail(
    sponsor,
    school,
    coordinator,
    other_coordinator,
    staff,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    claim = ClaimFactory(sponsor=sponsor.sponsor_member.sponsor, wish__child__school=school)

    with django_capture_on_commit_callbacks(execute=True):
        fulfilment = record_fulfilment(
            claim_id=claim.pk, by=staff, fulfilled_on=timezone.localdate()
        )
    # A wish is fulfilled once: a second recording is refused and mails nobody.
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TransitionError):
        record_fulfilment(claim_id=claim.pk, by=staff, fulfilled_on=timezone.localdate())

    told, asked = mailoutbox
    assert sponsor.email in told.to
    assert reverse("sponsors:feedback", args=[claim.pk]) in told.body
    assert asked.to == [coordinator.email]
    assert reverse("school:feedback", args=[fulfilment.pk]) in asked.body
    assert claim.wish.code in asked.subject
    # Only the wish's code: nothing of the child, even to the child's school.
    assert claim.wish.child.real_name not in asked.subject + asked.body
    assert all(other_coordinator.email not in mail.to for mail in mailoutbox)


def test_a_coordinator_recording_the_fulfilment_is_asked_on_the_page_not_by_mail(
    sponsor, school, coordinator, django_capture_on_commit_callbacks, mailoutbox, client_for
):
    claim = ClaimFactory(sponsor=sponsor.sponsor_member.sponsor, wish__child__school=school)

    with django_capture_on_commit_callbacks(execute=True):
        record_fulfilment(claim_id=claim.pk, by=coordinator, fulfilled_on=timezone.localdate())

    (told,) = mailoutbox
    assert sponsor.email in told.to
    assert coordinator.email not in told.to
    page = client_for("coordinator").get(reverse("school:overview")).content.decode()
    assert 'id="feedback-heading"' in page


def test_the_coordinators_second_submit_is_refused_with_a_clear_message(fulfilment, client_for):  # noqa: F811
    client = client_for("coordinator")
    client.post(school_url(fulfilment), {"rating": "5"})

    again = client.post(
        school_url(fulfilment), {"rating": "1"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    reopened = client.get(school_url(fulfilment), follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "Feedback on this wish has already been given." in again.content.decode()
    assert "Feedback on this wish has already been given." in reopened.content.decode()
    assert list(Feedback.objects.values_list("role", "rating")) == [("coordinator", 5)]
