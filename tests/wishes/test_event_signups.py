"""Sponsors sign up for events (change, withdraw), staff and the school's coordinator see
the sign-ups and check attendees in at the door, where members earn volunteer hours."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation

from huamu.errors import TransitionError
from tests.factories import EventFactory, SponsorFactory, SponsorMemberFactory
from tests.wishes.events_cast import unit_of
from wishes.models import (
    Attendee,
    AttendeeStatus,
    Event,
    EventSignup,
    SignupStatus,
    StatusChange,
)
from wishes.services import NamedAttendee, sign_up_for_event

pytestmark = pytest.mark.django_db


def changes_of(model, pk) -> list[tuple[str, str]]:
    rows = StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id=pk
    ).order_by("at", "pk")
    return [(row.from_status, row.to_status) for row in rows]


def signup_url(event) -> str:
    return reverse("sponsors:event_signup", args=[event.pk])


def sign_up(client, event, **data):
    return client.post(signup_url(event), data, HTTP_ACCEPT_LANGUAGE="en")


def test_the_dashboard_lists_the_events_of_the_sponsors_claims(client_for, event):
    html = client_for("sponsor").get(reverse("sponsors:dashboard")).text

    assert event.title in html
    assert signup_url(event) in html


def test_the_dashboard_of_another_sponsor_does_not_list_the_event(client_for, event):
    html = client_for("other_sponsor").get(reverse("sponsors:dashboard")).text

    assert event.title not in html


def test_a_sponsor_signs_up_with_members_and_free_names(client_for, sponsor, colleague, event):
    member = unit_of(colleague)
    response = sign_up(
        client_for("sponsor"),
        event,
        headcount="4",
        members=[str(member.pk)],
        others="张三 138 0000 1111\n李四\n",
    )

    assert response.status_code == 302
    signup = EventSignup.objects.get(event=event)
    assert signup.status == SignupStatus.ACTIVE
    assert signup.headcount == 4
    assert signup.signed_up_by == sponsor
    people = {(a.name, a.phone, a.user_id) for a in signup.attendees.all()}
    assert people == {
        ("王 同事", "", colleague.pk),
        ("张三", "13800001111", None),
        ("李四", "", None),
    }
    assert changes_of(EventSignup, signup.pk) == [("", SignupStatus.ACTIVE)]
    for attendee in signup.attendees.all():
        assert changes_of(Attendee, attendee.pk) == [("", AttendeeStatus.EXPECTED)]
    dashboard = client_for("sponsor").get(reverse("sponsors:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert "You are signed up: 4 people come." in dashboard.text


def test_changing_the_signup_keeps_who_stays_and_takes_off_the_others(
    client_for, sponsor, colleague, event
):
    client = client_for("sponsor")
    sign_up(
        client, event, headcount="3", members=[str(unit_of(colleague).pk)], others="张三\n李四"
    )
    kept = Attendee.objects.get(name="张三")

    response = sign_up(client, event, headcount="2", others="张三")

    assert response.status_code == 302
    signup = EventSignup.objects.get(event=event)
    assert signup.headcount == 2
    listed = signup.attendees.exclude(status=AttendeeStatus.REMOVED)
    assert [a.pk for a in listed] == [kept.pk]
    assert set(
        signup.attendees.filter(status=AttendeeStatus.REMOVED).values_list("name", flat=True)
    ) == {"王 同事", "李四"}
    assert changes_of(EventSignup, signup.pk)[-1] == (SignupStatus.ACTIVE, SignupStatus.ACTIVE)
    # The form shows the sign-up as it stands now.
    form = client.get(signup_url(event)).context["form"]
    assert form.initial["headcount"] == 2
    assert form.initial["others"] == "张三"


def test_withdrawing_and_signing_up_again(client_for, event):
    client = client_for("sponsor")
    sign_up(client, event, headcount="2", others="张三")
    signup = EventSignup.objects.get(event=event)

    response = client.post(reverse("sponsors:withdraw_signup", args=[event.pk]))

    assert response.status_code == 302
    signup.refresh_from_db()
    assert signup.status == SignupStatus.WITHDRAWN
    assert not signup.attendees.exclude(status=AttendeeStatus.REMOVED).exists()
    assert changes_of(EventSignup, signup.pk)[-1] == (SignupStatus.ACTIVE, SignupStatus.WITHDRAWN)

    sign_up(client, event, headcount="1")
    signup.refresh_from_db()
    assert signup.status == SignupStatus.ACTIVE
    assert changes_of(EventSignup, signup.pk)[-1] == (SignupStatus.WITHDRAWN, SignupStatus.ACTIVE)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"headcount": "-1"}, "At least one person comes"),
        ({"headcount": "0"}, "At least one person comes"),
        ({"headcount": str(10**9)}, "At most 50 people can come"),
        ({"headcount": "three"}, "Enter the number of people who will come"),
        ({"headcount": ""}, "This field is required"),
        ({"headcount": "1", "others": "张三\n李四"}, "You named 2 people but said 1 will come."),
        ({"headcount": "2", "others": "张三 12345"}, "the phone number is not valid"),
        ({"headcount": "2", "others": "长" * 61}, "is too long for a name"),
        ({"headcount": "2", "members": ["999999"]}, "Select a valid choice"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(client_for, event, data, message):
    response = sign_up(client_for("sponsor"), event, **data)

    assert response.status_code == 400
    assert message in response.text
    assert not EventSignup.objects.exists()
    assert not Attendee.objects.exists()


def test_another_units_member_cannot_be_signed_up(client_for, event, other_sponsor):
    response = sign_up(
        client_for("sponsor"), event, headcount="2", members=[str(unit_of(other_sponsor).pk)]
    )

    assert response.status_code == 400
    assert not EventSignup.objects.exists()


def test_a_past_event_can_no_longer_be_changed(client_for, event):
    Event.objects.filter(pk=event.pk).update(
        date=timezone.localdate() - datetime.timedelta(days=1)
    )

    response = sign_up(client_for("sponsor"), event, headcount="2")

    assert response.status_code == 400
    assert "has already taken place" in response.text
    assert not EventSignup.objects.exists()


def test_a_sponsor_cannot_sign_up_for_an_event_of_nobody_elses_claims(sponsor):
    foreign = EventFactory()

    with translation.override("en"), pytest.raises(TransitionError, match="does not concern"):
        sign_up_for_event(
            event_id=foreign.pk, sponsor=unit_of(sponsor).sponsor, by=sponsor, headcount=1
        )


def test_an_unverified_sponsor_cannot_sign_up(event, unverified_sponsor):
    pending = unit_of(unverified_sponsor).sponsor
    event.sponsors.add(pending)

    with translation.override("en"), pytest.raises(TransitionError, match="Only verified"):
        sign_up_for_event(event_id=event.pk, sponsor=pending, by=unverified_sponsor, headcount=1)


# --- staff and the school's coordinator -------------------------------------------------------


@pytest.fixture
def signed_up(event, sponsor, colleague) -> EventSignup:
    """The unit comes with its administrator (a member), a colleague and a guest."""
    return sign_up_for_event(
        event_id=event.pk,
        sponsor=unit_of(sponsor).sponsor,
        by=sponsor,
        headcount=4,
        members=[unit_of(sponsor), unit_of(colleague)],
        names=[],
    )


def test_the_coordinator_sees_the_signups(client_for, signed_up, event):
    response = client_for("coordinator").get(reverse("school:event_signups", args=[event.pk]))

    assert response.status_code == 200
    assert signed_up.sponsor.name in response.text
    assert "王 同事" in response.text
    overview = client_for("coordinator").get(reverse("school:overview")).text
    assert reverse("school:event_signups", args=[event.pk]) in overview


def test_staff_see_the_signups_inline_on_the_event(client_for, signed_up, event):
    url = reverse("admin:wishes_event_change", args=[event.pk])
    response = client_for("staff").get(url)

    assert response.status_code == 200
    assert "王 同事" in response.text


def tick(client, event, attendee, action="in"):
    url = reverse("school:event_tick", args=[event.pk, attendee.pk])
    return client.post(url, {"action": action}, HTTP_ACCEPT_LANGUAGE="en")


def test_checking_in_a_member_records_the_events_hours(client_for, signed_up, event, colleague):
    attendee = signed_up.attendees.get(user=colleague)
    client = client_for("coordinator")

    response = tick(client, event, attendee)

    assert response.status_code == 302
    attendee.refresh_from_db()
    assert attendee.status == AttendeeStatus.CHECKED_IN
    assert attendee.hours == Decimal("2.5")
    assert attendee.checked_in_at is not None
    assert changes_of(Attendee, attendee.pk)[-1] == (
        AttendeeStatus.EXPECTED,
        AttendeeStatus.CHECKED_IN,
    )
    page = client.get(reverse("school:event_check_in", args=[event.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "1 of 2 checked in" in page.text

    # The member sees the hours on their page.
    dashboard = client_for("colleague").get(
        reverse("sponsors:dashboard"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "In total: 2.5 hours." in dashboard.text
    assert event.title in dashboard.text


def test_undoing_a_check_in_takes_the_hours_back(client_for, signed_up, event, colleague):
    attendee = signed_up.attendees.get(user=colleague)
    client = client_for("staff")
    tick(client, event, attendee)

    tick(client, event, attendee, action="undo")

    attendee.refresh_from_db()
    assert attendee.status == AttendeeStatus.EXPECTED
    assert attendee.hours is None
    assert changes_of(Attendee, attendee.pk)[-1] == (
        AttendeeStatus.CHECKED_IN,
        AttendeeStatus.EXPECTED,
    )


def test_a_guest_without_an_account_is_checked_in_without_hours(client_for, event, sponsor):
    signup = sign_up_for_event(
        event_id=event.pk,
        sponsor=unit_of(sponsor).sponsor,
        by=sponsor,
        headcount=1,
        names=[NamedAttendee("来宾")],
    )
    guest = signup.attendees.get()

    tick(client_for("coordinator"), event, guest)

    guest.refresh_from_db()
    assert guest.status == AttendeeStatus.CHECKED_IN
    assert guest.hours is None


def test_checking_in_twice_says_so_and_changes_nothing(client_for, signed_up, event, colleague):
    attendee = signed_up.attendees.get(user=colleague)
    client = client_for("coordinator")
    tick(client, event, attendee)
    before = len(changes_of(Attendee, attendee.pk))

    response = tick(client, event, attendee)

    assert "is already checked in" in client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").text
    assert len(changes_of(Attendee, attendee.pk)) == before


def test_check_in_opens_on_the_day_of_the_event(client_for, later_event, sponsor, colleague):
    signup = sign_up_for_event(
        event_id=later_event.pk,
        sponsor=unit_of(sponsor).sponsor,
        by=sponsor,
        headcount=1,
        members=[unit_of(colleague)],
    )
    attendee = signup.attendees.get()

    tick(client_for("coordinator"), later_event, attendee)

    attendee.refresh_from_db()
    assert attendee.status == AttendeeStatus.EXPECTED


def test_an_attendee_of_another_event_is_a_404(client_for, signed_up, colleague, school):
    elsewhere = EventFactory(school=school)
    attendee = signed_up.attendees.get(user=colleague)

    response = tick(client_for("coordinator"), elsewhere, attendee)

    assert response.status_code == 404


# --- the permission matrix of every new page -------------------------------------------------

ROLES_SPONSOR_PAGE = {
    "anonymous": 302,
    "plain_user": 403,
    "sponsor": 200,
    "other_sponsor": 404,
    "coordinator": 403,
    "other_coordinator": 403,
    "bare_staff": 403,
    "staff": 403,
}
ROLES_SCHOOL_PAGE = {
    "anonymous": 302,
    "plain_user": 403,
    "sponsor": 403,
    "other_sponsor": 403,
    "coordinator": 200,
    "other_coordinator": 404,
    "bare_staff": 403,
    "staff": 200,
}


def _rows(name, method, table, **changed):
    return [(role, name, method, changed.get(role, status)) for role, status in table.items()]


MATRIX = [
    *_rows("sponsors:event_signup", "get", ROLES_SPONSOR_PAGE),
    *_rows("sponsors:withdraw_signup", "post", ROLES_SPONSOR_PAGE, sponsor=302),
    # Each unit's administrator exports its own members' hours.
    *_rows("sponsors:hours", "get", ROLES_SPONSOR_PAGE, other_sponsor=200),
    *_rows("school:event_signups", "get", ROLES_SCHOOL_PAGE),
    *_rows("school:event_roster", "get", ROLES_SCHOOL_PAGE),
    *_rows("school:event_check_in", "get", ROLES_SCHOOL_PAGE),
    *_rows("school:event_tick", "post", ROLES_SCHOOL_PAGE, coordinator=302, staff=302),
    *_rows(
        "admin:wishes_event_hours",
        "get",
        {
            "anonymous": 302,
            "plain_user": 302,
            "sponsor": 302,
            "other_sponsor": 302,
            "coordinator": 302,
            "other_coordinator": 302,
            "bare_staff": 403,
            "staff": 200,
        },
    ),
]


@pytest.mark.parametrize("role, name, method, status", MATRIX)
def test_access(role, name, method, status, client_for, signed_up, event, colleague):
    args = {
        "sponsors:event_signup": [event.pk],
        "sponsors:withdraw_signup": [event.pk],
        "school:event_signups": [event.pk],
        "school:event_roster": [event.pk],
        "school:event_check_in": [event.pk],
        "school:event_tick": [event.pk, signed_up.attendees.get(user=colleague).pk],
    }.get(name, [])
    client = client_for(role)
    url = reverse(name, args=args)

    response = client.post(url) if method == "post" else client.get(url)

    assert response.status_code == status


def test_a_plain_member_cannot_export_the_units_hours(client_for, colleague, event):
    assert client_for("colleague").get(reverse("sponsors:hours")).status_code == 403


def test_an_individual_sponsor_signs_up_too(client, event):
    person = SponsorMemberFactory(sponsor=SponsorFactory(verified=True, individual=True)).user
    event.sponsors.add(unit_of(person).sponsor)
    client.force_login(person)

    response = sign_up(client, event, headcount="1", members=[str(unit_of(person).pk)])

    assert response.status_code == 302
    assert EventSignup.objects.get(sponsor=unit_of(person).sponsor).attendees.get().user == person


# --- claims made on the spot at an event -------------------------------------------------------


def test_staff_record_a_claim_made_on_the_spot_and_the_event_page_counts_it(
    client_for, open_wish, event
):
    from tests.wishes.admin.test_actions import submit_action_form
    from wishes.models import Claim, ClaimChannel, Wish

    centre = SponsorFactory(verified=True)
    response = submit_action_form(
        client_for("staff"),
        Wish,
        "record_offline_claim",
        [open_wish],
        sponsor=str(centre.pk),
        channel=ClaimChannel.OFFLINE,
        event=str(event.pk),
    )

    assert response.status_code == 302
    assert Claim.objects.get(wish=open_wish).event == event
    page = client_for("anonymous").get(
        reverse("events:detail", args=[event.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Wishes claimed on the spot" in page.text
    assert page.context["event"].claimed_here == 1


@pytest.mark.parametrize("units", [1, 5])
def test_the_check_in_page_reads_the_same_queries_however_many_sign_ups(
    units, client_for, event, school, sponsor, django_assert_num_queries
):
    from tests.factories import ClaimFactory

    for n in range(units):
        unit = SponsorFactory(verified=True)
        member = SponsorMemberFactory(sponsor=unit)
        ClaimFactory(sponsor=unit, wish__child__school=school).wish.events.add(event)
        sign_up_for_event(
            event_id=event.pk,
            sponsor=unit,
            by=member.user,
            headcount=3,
            members=[member],
            names=[NamedAttendee(f"来宾{n}")],
        )
    client = client_for("coordinator")
    url = reverse("school:event_check_in", args=[event.pk])
    # 1 session, 2 user with its coordinator row (roles), 3 the event with school and
    # campaign, 4 the active sign-ups with their sponsors, 5 their attendees on the list.
    with django_assert_num_queries(5):
        response = client.get(url)
    assert response.context["listed"] == 2 * units
