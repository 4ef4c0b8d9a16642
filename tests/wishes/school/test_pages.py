"""The school overview and a child's record: real names for the coordinator, logged looks."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
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
from wishes.models import AccessAction, AccessLog, Child, School, Wish, WishStatus
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


def _list(html: str) -> str:
    """The wish list of an overview page (below the to-dos, above the events)."""
    return html.split('id="wishes"')[1].split('id="events"')[0]


def test_overview_lists_the_schools_wishes_by_status_with_real_names(
    client_for, coordinator, school, own_claim, own_child, withdrawn_child, other_child
):
    draft = WishFactory(child=own_child)
    open_wish = WishFactory(open=True, child__school=school, child__real_name="周小燕")
    client = client_for("coordinator")
    lists = {
        status: _list(client.get(OVERVIEW, {"show": status}, HTTP_ACCEPT_LANGUAGE="en").text)
        for status in WishStatus.values
    }
    assert own_child.real_name in lists["draft"]
    assert draft.code in lists["draft"]
    assert "周小燕" in lists["open"]
    assert open_wish.code in lists["open"]
    assert "周小燕" not in lists["draft"]
    claimed = lists["claimed"]
    assert own_claim.wish.child.real_name in claimed
    assert "上海科技馆" in claimed
    assert "2026-12-05" in claimed
    assert own_child.class_name in lists["draft"]
    for html in lists.values():
        assert withdrawn_child.real_name not in html
        assert other_child.real_name not in html


def test_overview_opens_on_the_claimed_wishes_and_counts_every_status(
    client_for, coordinator, school, own_claim
):
    WishFactory(open=True, child__school=school)
    WishFactory(open=True, child__school=school)
    ChildFactory(school=school, real_name="钱无愿")
    html = client_for("coordinator").get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en").text
    assert 'aria-current="page" href="?show=claimed#wishes"' in html
    assert own_claim.wish.child.real_name in _list(html)
    tabs = html.split('id="wishes"')[1].split("</nav>")[0]
    open_tab = tabs.split('show=open#wishes">')[1].split("</a>")[0]
    assert open_tab.endswith('text-bg-secondary">2</span>')
    claimed_tab = tabs.split('show=claimed#wishes">')[1].split("</a>")[0]
    assert claimed_tab.endswith('text-bg-secondary">1</span>')
    without = client_for("coordinator").get(OVERVIEW, {"show": "without-wish"}).text
    assert "钱无愿" in _list(without)


def test_an_unknown_list_falls_back_to_the_first_that_has_wishes(client_for, coordinator, school):
    WishFactory(open=True, child__school=school, child__real_name="周小燕")
    response = client_for("coordinator").get(OVERVIEW, {"show": "<script>", "page": "x"})
    assert response.status_code == 200
    assert "周小燕" in _list(response.text)


def test_overview_lists_50_wishes_a_page_and_logs_only_the_children_it_shows(
    client_for, coordinator, school
):
    claims = [ClaimFactory(wish__child__school=school) for _ in range(55)]
    client = client_for("coordinator")
    first = client.get(OVERVIEW, {"show": "claimed"})
    second = client.get(OVERVIEW, {"show": "claimed", "page": 2})
    assert _list(first.text).count('href="/school/children/') == 50
    assert _list(second.text).count('href="/school/children/') == 5
    assert "show=claimed&amp;page=2" in first.text
    on_second = {
        c.wish.child.pk
        for c in claims
        if f'href="/school/children/{c.wish.child.pk}/"' in _list(second.text)
    }
    assert len(on_second) == 5
    row = AccessLog.objects.filter(action=AccessAction.LIST_CHILDREN).latest("pk")
    logged = set(row.children.values_list("pk", flat=True))
    # The page's five children and the (at most ten) named by the to-dos; not all 55.
    assert on_second <= logged
    assert len(logged) <= 15


def test_the_to_dos_come_first_with_the_next_events_gifts_missing_photos_and_letters(
    client_for, coordinator, staff, school
):
    today = timezone.localdate()
    event = EventFactory(school=school, date=today + timezone.timedelta(days=3), title="学雷锋日")
    planned = ClaimFactory(wish__child__school=school, wish__child__real_name="赵计划")
    ClaimFactory(wish__child__school=school, wish__child__real_name="钱未排")
    event.wishes.add(planned.wish)
    no_photo = FulfilmentFactory(
        claim__wish__child__school=school, claim__wish__child__real_name="孙无照"
    )
    with_photo = FulfilmentFactory(
        claim__wish__child__school=school, claim__wish__child__real_name="李有照"
    )
    add_fulfilment_photos(
        fulfilment_id=with_photo.pk, by=coordinator, images=[image_corpus.clean("good_png")]
    )
    letter = upload_letter(
        fulfilment_id=with_photo.pk, by=coordinator, scan=None, transcription="谢谢"
    )
    approve_letter(letter_id=letter.pk, by=staff)
    html = client_for("coordinator").get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en").text
    assert html.index('id="todo"') < html.index('id="wishes"')
    todo = html.split('id="todo"')[1].split("</section>")[0]
    hand_over = todo.split('id="todo-hand-over"')[1].split("</div>")[0]
    assert "1 wish to hand over at the next event" in hand_over
    assert "学雷锋日" in hand_over
    assert "赵计划" in hand_over
    assert "钱未排" not in hand_over
    assert f"event={event.pk}" in hand_over
    photos = todo.split('id="todo-photos"')[1].split("</div>")[0]
    assert "孙无照" in photos
    assert reverse("school:photos", args=[no_photo.pk]) in photos
    assert "李有照" not in photos
    letters = todo.split('id="todo-letters"')[1].split("</div>")[0]
    assert "孙无照" in letters
    assert reverse("school:letter", args=[no_photo.pk]) in letters
    assert "李有照" not in letters


def test_without_an_event_the_to_do_is_every_claimed_wish(client_for, coordinator, school):
    ClaimFactory(wish__child__school=school, wish__child__real_name="赵等待")
    html = client_for("coordinator").get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en").text
    hand_over = html.split('id="todo-hand-over"')[1].split("</div>")[0]
    assert "1 claimed wish to hand over" in hand_over
    assert "赵等待" in hand_over


def test_with_nothing_waiting_the_to_dos_say_so(client_for, coordinator, school):
    WishFactory(open=True, child__school=school)
    html = client_for("coordinator").get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en").text
    todo = html.split('id="todo"')[1].split("</section>")[0]
    assert "Nothing is waiting for you" in todo


def test_overview_says_where_each_thank_you_letter_stands(client_for, coordinator, staff, school):
    missing, pending, delivered = (
        FulfilmentFactory(claim__wish__child__school=school) for _ in range(3)
    )
    upload_letter(fulfilment_id=pending.pk, by=coordinator, scan=None, transcription="谢谢")
    letter = upload_letter(
        fulfilment_id=delivered.pk, by=coordinator, scan=None, transcription="谢谢您"
    )
    approve_letter(letter_id=letter.pk, by=staff)
    html = (
        client_for("coordinator")
        .get(OVERVIEW, {"show": "fulfilled"}, HTTP_ACCEPT_LANGUAGE="en")
        .text
    )
    fulfilled = _list(html)
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


@pytest.mark.parametrize("show", ["claimed", "fulfilled", "without-wish"])
def test_overview_costs_the_same_queries_for_5_or_60_children(
    show, client_for, coordinator, school, django_assert_num_queries
):
    client = client_for("coordinator")
    # Django caches content types per process; load School's now so both counts match.
    ContentType.objects.get_for_model(School)
    counts = []
    for size in (5, 55):
        _school_with_children(school, size)
        ChildFactory.create_batch(size, school=school)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(OVERVIEW, {"show": show})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # session, user and roles; status counts; children without a wish (count, page);
    # children count; the page (count, rows); the next event; three to-dos (count, the
    # first ones' ids, then their rows with the per-wish numbers); the access log row and
    # its children; two event lists; the fulfilled claims waiting for the coordinator's
    # feedback.
    assert counts[0] <= 22


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
    assert f"Grade {wish.child.grade} · {wish.child.class_name}" in html
    chinese = client_for("coordinator").get(child_url(wish.child)).text
    assert f"{wish.child.grade} 年级 · {wish.child.class_name}" in chinese


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


def _wishes_of_every_kind(school, count: int, event) -> None:
    """`count` wishes over three children, and a child without a wish. The wishes cycle
    through claimed (planned for `event`), fulfilled without photo or letter, fulfilled
    with both, draft and open: three are enough for every list the test opens."""
    children = ChildFactory.create_batch(3, school=school)
    ChildFactory(school=school)
    for n in range(count):
        child = children[n % len(children)]
        kind = n % 5
        if kind == 0:
            event.wishes.add(ClaimFactory(wish__child=child).wish)
        elif kind in (1, 2):
            fulfilment = FulfilmentFactory(claim__wish__child=child)
            if kind == 2:
                upload_letter(
                    fulfilment_id=fulfilment.pk, by=None, scan=None, transcription="谢谢"
                )
                add_fulfilment_photos(
                    fulfilment_id=fulfilment.pk, by=None, images=[image_corpus.clean("good_png")]
                )
        else:
            WishFactory(child=child, open=kind == 4)


# An empty list costs fewer queries (no page to read): the lists opened have wishes at both
# sizes.
@pytest.mark.parametrize("show", ["", "claimed", "fulfilled", "without-wish"])
def test_overview_costs_the_same_queries_for_3_or_12_wishes(show, client_for, coordinator, school):
    client = client_for("coordinator")
    today = timezone.localdate()
    event = EventFactory(school=school, date=today.replace(year=today.year + 1))
    # Django caches content types per process; load School's now so both counts match.
    ContentType.objects.get_for_model(School)
    counts = []
    for size in (3, 9):
        _wishes_of_every_kind(school, size, event)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(OVERVIEW, {"show": show} if show else {})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # session, user and roles; status counts; the children and those without a wish; the
    # page's ids (its count is the tab's) then its rows with the per-wish facts; the next
    # event; each to-do's count with its first ids, then their rows; the access log row and
    # its children; two event lists; the newest fulfilled claims waiting for feedback.
    assert counts[0] <= 18


def test_the_childs_record_costs_the_same_queries_for_3_or_12_wishes(
    client_for, coordinator, school, django_assert_num_queries
):
    child = ChildFactory(school=school)
    client = client_for("coordinator")
    event = EventFactory(school=school)
    # Django caches content types per process; load Child's and Wish's now so both counts
    # match.
    ContentType.objects.get_for_model(Child)
    ContentType.objects.get_for_model(Wish)
    for size in (3, 9):
        # Each round adds a fulfilled wish with a letter: a child without any fulfilment
        # needs no photos query.
        for n in range(size):
            kind = (n + 3) % 5
            if kind < 2:
                WishFactory(child=child, open=bool(kind))
            elif kind == 2:
                event.wishes.add(ClaimFactory(wish__child=child).wish)
            else:
                fulfilment = FulfilmentFactory(claim__wish__child=child)
                upload_letter(fulfilment_id=fulfilment.pk, by=None, scan=None, transcription="谢")
        # session, user, the child, the access log row and its child, the wishes with
        # campaign, their claims with sponsor, fulfilment and event, the photos, the
        # letters and the history.
        with django_assert_num_queries(10):
            client.get(child_url(child))
