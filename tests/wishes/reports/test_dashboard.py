"""The staff dashboard on the back office's front page: what it shows, to whom, at what cost."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    ClaimFactory,
    ConsentFactory,
    EventFactory,
    FulfilmentFactory,
    SchoolFactory,
    SponsorFactory,
    UserFactory,
    WishFactory,
)
from wishes.claiming.follow_up import overdue_list_path
from wishes.models import (
    Claim,
    ClaimStatus,
    FulfilmentPhoto,
    ThankYouLetter,
    Wish,
    WishStatus,
)
from wishes.reports.dashboard import WAITING_WISHES, staff_dashboard

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def in_days(days: int) -> datetime.date:
    return today() + datetime.timedelta(days=days)


def open_wish_published(days: int) -> Wish:
    return WishFactory(open=True, published_at=days_ago(days))


def photo(*, publish_consent: bool, is_public: bool = False) -> FulfilmentPhoto:
    """A photo record (no file is needed here) of a fulfilled wish."""
    fulfilment = FulfilmentFactory()
    ConsentFactory(child=fulfilment.claim.wish.child, publish_photos=publish_consent)
    return FulfilmentPhoto.objects.create(
        fulfilment=fulfilment,
        image="photos/x.jpg",
        thumbnail="photos/x_thumb.jpg",
        width=10,
        height=10,
        is_public=is_public,
    )


def index_page(client_for, role: str = "staff") -> str:
    response = client_for(role).get(INDEX, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.text


# --- who may see it --------------------------------------------------------------------------


def test_dashboard_loads_for_staff(client_for):
    response = client_for("staff").get(INDEX)

    assert response.status_code == 200
    assert 'id="staff-dashboard"' in response.text


@pytest.mark.parametrize(
    "role", ["anonymous", "sponsor", "unverified_sponsor", "coordinator", "plain_user"]
)
def test_dashboard_sends_non_staff_to_the_admin_login(client_for, role):
    response = client_for(role).get(INDEX)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_permissions_see_no_panel(client):
    claim = ClaimFactory(promised_on=in_days(-3))
    bare = UserFactory(username="bare_staff", is_staff=True)
    client.force_login(bare)

    response = client.get(INDEX)

    assert response.status_code == 200
    assert claim.wish.code not in response.text
    assert 'id="dashboard-overdue-claims"' not in response.text
    assert 'id="dashboard-staff-tasks"' not in response.text


def test_a_panel_shows_only_with_permission_to_view_its_records(client):
    viewer = UserFactory(username="claim_viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_claim"))
    late = ClaimFactory(promised_on=in_days(-3))
    client.force_login(viewer)

    text = client.get(INDEX).text

    assert 'id="dashboard-overdue-claims"' in text
    assert late.wish.code in text
    # Viewing is not changing: no release button.
    assert 'value="release_overdue"' not in text
    assert 'id="dashboard-waiting-wishes"' not in text


def test_dashboard_is_in_chinese_by_default(client_for):
    text = client_for("staff").get(INDEX).text

    # Django's own admin strings show that the page is rendered in Chinese.
    assert "最近动作" in text


# --- longest-waiting wishes ------------------------------------------------------------------


def test_longest_waiting_wishes_come_first_with_their_days(client_for):
    newest = open_wish_published(1)
    oldest = open_wish_published(40)
    middle = open_wish_published(12)
    WishFactory()  # a draft is not waiting

    text = index_page(client_for)

    panel = text.split('id="dashboard-waiting-wishes"')[1].split("</table>")[0]
    assert panel.index(oldest.code) < panel.index(middle.code) < panel.index(newest.code)
    assert "waiting 40 days" in panel
    assert "waiting 1 day" in panel
    assert reverse("admin:wishes_wish_change", args=[oldest.pk]) in panel
    assert "(of 3 open)" in panel
    assert f"?status__exact={WishStatus.OPEN}" in panel


def test_only_the_ten_longest_waiting_wishes_are_listed(client_for):
    wishes = [open_wish_published(days) for days in range(1, WAITING_WISHES + 2)]

    text = index_page(client_for)

    assert wishes[0].code not in text  # the newest of eleven
    assert all(wish.code in text for wish in wishes[1:])


# --- overdue claims --------------------------------------------------------------------------


def test_overdue_claims_show_sponsor_days_link_and_release_button(client_for):
    late = ClaimFactory(promised_on=in_days(-5), sponsor__name="上海新国际博览中心")
    on_time = ClaimFactory(promised_on=in_days(2))

    text = index_page(client_for)

    panel = text.split('id="dashboard-overdue-claims"')[1].split("</table>")[0]
    assert late.wish.code in panel
    assert on_time.wish.code not in panel
    assert "上海新国际博览中心" in panel
    assert "5 days overdue" in panel
    assert f"promised for {in_days(-5).isoformat()}" in panel
    assert reverse("admin:wishes_claim_change", args=[late.pk]) in panel
    assert "Overdue claims (1)" in panel
    assert 'value="release_overdue"' in panel
    assert f'name="_selected_action" value="{late.pk}"' in panel


def test_overdue_claim_without_date_shows_when_it_fell_due(client_for):
    claim = ClaimFactory(promised_on=None)
    Claim.objects.filter(pk=claim.pk).update(created_at=days_ago(62))

    text = index_page(client_for)

    assert claim.wish.code in text
    assert f"no date; due {in_days(-2).isoformat()}" in text
    assert "2 days overdue" in text


def test_release_button_on_the_dashboard_releases_the_claim(client_for):
    late = ClaimFactory(promised_on=in_days(-5))
    # What the button's form posts.
    response = client_for("staff").post(
        overdue_list_path(),
        {"action": "release_overdue", "index": "0", "_selected_action": str(late.pk)},
    )

    assert response.status_code == 302
    late.refresh_from_db()
    late.wish.refresh_from_db()
    assert late.status == ClaimStatus.CANCELLED
    assert late.wish.status == WishStatus.OPEN


def test_no_overdue_claims_says_so(client_for):
    ClaimFactory(promised_on=in_days(1))

    text = index_page(client_for)

    assert "No claim is overdue." in text
    assert "Overdue claims (0)" in text


# --- upcoming events -------------------------------------------------------------------------


def test_upcoming_events_are_the_next_five(client_for):
    school = SchoolFactory(name="由由小学")
    past = EventFactory(title="去年的感恩专场", date=in_days(-1))
    coming = [
        EventFactory(title=f"圆梦见面会{n}", date=in_days(n), venue=f"会议室{n}", school=school)
        for n in range(6)
    ]

    text = index_page(client_for)

    panel = text.split('id="dashboard-upcoming-events"')[1].split("</table>")[0]
    assert past.title not in panel
    assert coming[5].title not in panel
    for event in coming[:5]:
        assert event.title in panel
        assert event.venue in panel
        assert event.date.isoformat() in panel
        assert reverse("admin:wishes_event_change", args=[event.pk]) in panel
    assert panel.index(coming[0].title) < panel.index(coming[4].title)
    assert "由由小学" in panel


# --- waiting for staff -----------------------------------------------------------------------


def test_counts_of_work_waiting_for_staff(staff):
    SponsorFactory.create_batch(2)  # pending verification
    SponsorFactory(verified=True)
    ThankYouLetter.objects.create(fulfilment=FulfilmentFactory(), transcription="谢谢")
    photo(publish_consent=True)
    photo(publish_consent=True, is_public=True)
    photo(publish_consent=False)
    WishFactory.create_batch(3)
    WishFactory(open=True)

    board = staff_dashboard(staff)

    counts = [task.count for task in board.staff_tasks]
    # Sponsors, letters, photos, consents to renew (none: every consent is new), drafts.
    assert counts == [2, 1, 1, 0, 3]


@pytest.mark.parametrize("position", range(5))
def test_each_count_links_to_a_list_of_exactly_those_records(client_for, staff, position):
    SponsorFactory.create_batch(2)
    SponsorFactory(verified=True)
    ThankYouLetter.objects.create(fulfilment=FulfilmentFactory(), transcription="谢谢")
    photo(publish_consent=True)
    photo(publish_consent=True, is_public=True)
    photo(publish_consent=False)
    WishFactory.create_batch(3)
    WishFactory(open=True)
    task = staff_dashboard(staff).staff_tasks[position]

    response = client_for("staff").get(task.url)

    assert response.status_code == 200
    assert response.context["cl"].result_count == task.count
    assert task.url.replace("&", "&amp;") in index_page(client_for)


def test_waiting_for_staff_links_are_labelled(client_for):
    SponsorFactory()

    text = index_page(client_for)

    panel = text.split('id="dashboard-staff-tasks"')[1].split("</table>")[0]
    assert "Sponsors waiting for verification" in panel
    assert reverse("admin:sponsors_sponsor_changelist") + "?status__exact=pending" in panel
    assert "Thank-you letters waiting for approval" in panel
    assert "Draft wishes to review and publish" in panel


# --- cost ------------------------------------------------------------------------------------


def _fill(n: int) -> None:
    for days in range(n):
        open_wish_published(days + 1)
        ClaimFactory(promised_on=in_days(-days - 1))
        EventFactory(date=in_days(days))
        SponsorFactory()


def test_dashboard_queries_stay_fixed_as_data_grows(staff, django_assert_num_queries):
    _fill(2)
    staff = type(staff).objects.get(pk=staff.pk)  # a fresh user: permissions not cached yet
    # 2 permission lookups (the user's, its groups'), 5 counts of waiting work, waiting wishes
    # and their count, overdue claims and their count, upcoming events.
    with django_assert_num_queries(12):
        staff_dashboard(staff)

    _fill(12)
    staff = type(staff).objects.get(pk=staff.pk)
    with django_assert_num_queries(12):
        board = staff_dashboard(staff)
    assert len(board.waiting_wishes) == WAITING_WISHES
    assert len(board.upcoming_events) == 5
    assert board.overdue_total == 14
