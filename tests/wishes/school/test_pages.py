"""The school overview and a child's record: real names for the coordinator, logged looks."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from tests import image_corpus
from tests.factories import (
    ChildFactory,
    ClaimFactory,
    ConsentFactory,
    EventFactory,
    FulfilmentFactory,
    WishFactory,
)
from wishes.models import AccessAction, AccessLog, Child, School, WishStatus
from wishes.services import (
    add_fulfilment_photos,
    approve_letter,
    claim_wish,
    publish_wish,
    upload_letter,
)

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("school:overview")


def child_url(child: Child) -> str:
    return reverse("school:child", args=[child.pk])


def test_overview_groups_the_schools_wishes_by_status_with_real_names(
    client_for, coordinator, school, own_claim, own_child, withdrawn_child, other_child
):
    draft = WishFactory(child=own_child)
    open_wish = WishFactory(open=True, child__school=school, child__real_name="周小燕")
    response = client_for("coordinator").get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.text
    sections = {
        status: html.split(f'id="status-{status}"')[1].split("</section>")[0]
        for status in WishStatus.values
    }
    assert own_child.real_name in sections["draft"]
    assert draft.code in sections["draft"]
    assert "周小燕" in sections["open"]
    assert open_wish.code in sections["open"]
    claimed = sections["claimed"]
    assert own_claim.wish.child.real_name in claimed
    assert "上海科技馆" in claimed
    assert "2026-12-05" in claimed
    assert own_child.class_name in html
    assert withdrawn_child.real_name not in html
    assert other_child.real_name not in html


def test_overview_says_where_each_thank_you_letter_stands(client_for, coordinator, staff, school):
    missing, pending, delivered = (
        FulfilmentFactory(claim__wish__child__school=school) for _ in range(3)
    )
    upload_letter(fulfilment_id=pending.pk, by=coordinator, scan=None, transcription="谢谢")
    letter = upload_letter(
        fulfilment_id=delivered.pk, by=coordinator, scan=None, transcription="谢谢您"
    )
    approve_letter(letter_id=letter.pk, by=staff)
    html = client_for("coordinator").get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en").text
    fulfilled = html.split('id="status-fulfilled"')[1].split("</section>")[0]
    items = fulfilled.split('<li class="list-group-item">')[1:]
    by_child = {
        f.claim.wish.child.real_name: next(i for i in items if f.claim.wish.child.real_name in i)
        for f in (missing, pending, delivered)
    }
    assert "No thank-you letter yet" in by_child[missing.claim.wish.child.real_name]
    assert "waiting for approval" in by_child[pending.claim.wish.child.real_name]
    assert "Thank-you letter delivered" in by_child[delivered.claim.wish.child.real_name]
    letter_url = reverse("school:letter", args=[missing.pk])
    assert letter_url in by_child[missing.claim.wish.child.real_name]


def test_overview_lists_upcoming_and_past_events_of_the_school(
    client_for, coordinator, school, other_event
):
    today = timezone.localdate()
    EventFactory(school=school, title="学雷锋日活动", date=today.replace(year=today.year + 1))
    EventFactory(school=school, title="去年的感恩专场", date=today.replace(year=today.year - 1))
    html = client_for("coordinator").get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en").text
    events = html.split('id="events"')[1]
    upcoming, past = events.split("Past", 1)
    assert "学雷锋日活动" in upcoming
    assert "去年的感恩专场" in past
    assert other_event.title not in html


def _school_with_children(school, count: int) -> None:
    """`count` children, each with a wish in one of the states, some with letters."""
    for n in range(count):
        child = ChildFactory(school=school)
        kind = n % 5
        if kind == 0:
            WishFactory(child=child)
        elif kind == 1:
            WishFactory(child=child, open=True)
        elif kind == 2:
            ClaimFactory(wish__child=child)
        elif kind == 3:
            fulfilment = FulfilmentFactory(claim__wish__child=child)
            upload_letter(fulfilment_id=fulfilment.pk, by=None, scan=None, transcription="谢谢")
        else:
            WishFactory(child=child, status=WishStatus.WITHDRAWN)
    EventFactory(school=school)


@pytest.mark.parametrize("count", [5, 50])
def test_overview_costs_the_same_queries_for_5_or_50_children(
    count, client_for, coordinator, school, django_assert_num_queries
):
    _school_with_children(school, count)
    client = client_for("coordinator")
    # Django caches content types per process; load School's now so both counts match.
    ContentType.objects.get_for_model(School)
    # session, user (with its sponsor and school roles), the children, the wishes (with
    # sponsor, promise, fulfilment and letter state as subqueries), the access log row and
    # its children (one insert for all), upcoming events and past events.
    with django_assert_num_queries(8):
        response = client.get(OVERVIEW)
    assert response.text.count('href="/school/children/') >= count


def test_the_childs_record_shows_name_class_guardian_and_wish_history(
    client_for, coordinator, staff, sponsor, school
):
    wish = WishFactory(
        child__school=school, child__real_name="孙小美", child_words="想要一把小提琴"
    )
    ConsentFactory(child=wish.child)
    publish_wish(wish_id=wish.pk, by=staff)
    claim_wish(wish_id=wish.pk, sponsor=sponsor.sponsor_member.sponsor, by=sponsor)
    response = client_for("coordinator").get(child_url(wish.child), HTTP_ACCEPT_LANGUAGE="en")
    html = response.text
    assert response.status_code == 200
    assert "孙小美" in html
    assert wish.child.class_name in html
    assert wish.child.guardian_name in html
    assert f'href="tel:{wish.child.guardian_phone}"' in html
    assert "想要一把小提琴" in html
    assert "上海科技馆" in html
    assert "History (2 changes)" in html
    assert "Draft → Waiting to be claimed" in html
    assert "Waiting to be claimed → Claimed" in html


def test_every_look_at_a_child_is_logged_without_the_name(client_for, coordinator, own_child):
    client = client_for("coordinator")
    client.get(child_url(own_child))
    client.get(child_url(own_child))
    logs = list(AccessLog.objects.all())
    assert len(logs) == 2
    log = logs[0]
    assert log.action == AccessAction.VIEW_CHILD
    assert log.user == coordinator
    assert log.content_type == ContentType.objects.get_for_model(Child)
    assert log.object_id == own_child.pk
    assert log.path == child_url(own_child)
    values = AccessLog.objects.values_list("action", "object_id", "ip_address", "path").first()
    assert all(own_child.real_name not in str(value) for value in values)


def test_a_refused_look_at_a_child_is_not_logged(client_for, coordinator, other_child):
    assert client_for("coordinator").get(child_url(other_child)).status_code == 404
    assert AccessLog.objects.count() == 0


def test_the_childs_record_costs_the_same_queries_for_many_wishes(
    client_for, coordinator, school, django_assert_num_queries
):
    child = ChildFactory(school=school)
    client = client_for("coordinator")
    fulfilment = FulfilmentFactory(claim__wish__child=child)
    upload_letter(fulfilment_id=fulfilment.pk, by=None, scan=None, transcription="谢谢")
    add_fulfilment_photos(
        fulfilment_id=fulfilment.pk, by=coordinator, images=[image_corpus.clean("good_png")]
    )
    # Django caches content types per process; load Child's now so both counts match.
    ContentType.objects.get_for_model(Child)
    # session, user (with its roles, coordinator and school among them), the child, the
    # access log row and its child, the wishes with campaign, their claims with sponsor,
    # fulfilment and event, the photos, the letters and the history.
    with django_assert_num_queries(10):
        client.get(child_url(child))
    for _ in range(4):
        FulfilmentFactory(claim__wish__child=child)
        WishFactory(child=child)
    with django_assert_num_queries(10):
        client.get(child_url(child))


def test_bare_is_staff_without_permission_reads_no_school_page(client, db):
    """A user flagged is_staff with no permission is no office staff: no real names."""
    from tests.factories import ChildFactory, UserFactory

    child = ChildFactory(real_name="王秘密")
    client.force_login(UserFactory(username="flagged", is_staff=True))
    overview = client.get(f"/school/?school={child.school_id}")
    detail = client.get(f"/school/children/{child.pk}/")
    assert overview.status_code == 403
    assert detail.status_code in (403, 404)
    assert "王秘密" not in overview.content.decode()
    assert "王秘密" not in detail.content.decode()
