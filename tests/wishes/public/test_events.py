"""Public event pages: which events and photos the public sees, and nothing of a child."""

import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from huamu.images import clean_image
from tests.factories import (
    CampaignFactory,
    ClaimFactory,
    EventFactory,
    SchoolFactory,
    SponsorFactory,
)
from wishes.models import Consent, Event, EventKind, FulfilmentPhoto
from wishes.services import record_fulfilment, set_photo_publication, withdraw_photo

pytestmark = pytest.mark.django_db


def tiny_photo(colour=(200, 80, 40)):
    """A 64x48 JPEG, checked and re-encoded as the upload forms do."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return clean_image(SimpleUploadedFile("phone.jpg", buffer.getvalue(), "image/jpeg"))


def fulfil_at(
    event: Event,
    by,
    *,
    photos: int = 1,
    publish_photos: bool = True,
    cleared: bool = True,
    sponsor=None,
    **child,
) -> list[FulfilmentPhoto]:
    """Fulfil a new claim at `event` with photos; by default consented and cleared."""
    claim = ClaimFactory(
        **({"sponsor": sponsor} if sponsor else {}),
        **{f"wish__child__{key}": value for key, value in child.items()},
    )
    # The claimed wish came with a consent to publish it; photos are a separate scope.
    Consent.objects.filter(child=claim.wish.child).update(publish_photos=publish_photos)
    fulfilment = record_fulfilment(
        claim_id=claim.pk,
        by=by,
        fulfilled_on=timezone.localdate(),
        event=event,
        photos=[tiny_photo() for _ in range(photos)],
    )
    stored = list(fulfilment.photos.all())
    if cleared:
        for photo in stored:
            set_photo_publication(photo_id=photo.pk, by=by, public=True)
    return stored


def detail(event: Event) -> str:
    return reverse("events:detail", args=[event.pk])


def thumbnail_url(photo: FulfilmentPhoto) -> str:
    return reverse("files:photo_thumbnail", args=[photo.pk])


# --- the list --------------------------------------------------------------------------------


def test_list_shows_upcoming_events_soonest_first_then_past_events_latest_first(client):
    today = timezone.localdate()
    days = [-10, 5, -3, 1, 0]
    events = {d: EventFactory(date=today + datetime.timedelta(days=d)) for d in days}
    EventFactory(date=today + datetime.timedelta(days=2), is_public=False)

    response = client.get(reverse("events:list"))

    shown = [event.id for event in response.context["page_obj"]]
    assert shown == [events[d].pk for d in (0, 1, 5, -3, -10)]


def test_list_shows_kind_date_venue_school_campaign_and_wishes_fulfilled(client, staff):
    event = EventFactory(
        kind=EventKind.LEI_FENG_DAY,
        title="学雷锋日圆梦活动",
        date=datetime.date(2026, 3, 5),
        venue="华林小学礼堂",
        school=SchoolFactory(name="华林小学"),
        campaign=CampaignFactory(year=2026, name="2026 圆梦季"),
    )
    fulfil_at(event, staff, photos=0)
    fulfil_at(event, staff, photos=0)

    html = client.get(reverse("events:list"), HTTP_ACCEPT_LANGUAGE="en").text

    for text in ("学雷锋日圆梦活动", "Learn from Lei Feng day", "华林小学礼堂", "华林小学"):
        assert text in html
    assert "2026 圆梦季" in html
    assert "March 5, 2026" in html
    assert "2 wishes fulfilled" in html
    assert detail(event) in html


def test_list_leaves_out_events_that_are_not_public(client):
    EventFactory(title="内部筹备会", is_public=False)

    response = client.get(reverse("events:list"))

    assert list(response.context["page_obj"]) == []
    assert "内部筹备会" not in response.text


def test_list_pages_20_events_at_a_time(client):
    EventFactory.create_batch(21)

    first = client.get(reverse("events:list"))
    second = client.get(reverse("events:list"), {"page": 2})

    assert len(first.context["page_obj"]) == 20
    assert len(second.context["page_obj"]) == 1


def test_the_list_counts_public_events_without_reading_their_fulfilments(client):
    EventFactory.create_batch(3)
    EventFactory(is_public=False)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("events:list"))

    assert response.context["page_obj"].paginator.count == 3
    count = next(query["sql"] for query in queries.captured_queries if "COUNT(*)" in query["sql"])
    assert "fulfilment" not in count and "claim" not in count


@pytest.mark.parametrize("rows", [3, 30])
def test_list_queries_do_not_grow_with_the_events(client, django_assert_num_queries, rows):
    EventFactory.create_batch(rows)

    # 1. count the public events  2. one page of them with school, campaign and fulfilments
    with django_assert_num_queries(2):
        response = client.get(reverse("events:list"))

    assert response.status_code == 200


# --- one event -------------------------------------------------------------------------------


def test_event_that_is_not_public_is_not_found(client):
    event = EventFactory(is_public=False)

    assert client.get(detail(event)).status_code == 404


def test_unknown_event_is_not_found(client):
    assert client.get(reverse("events:detail", args=[999999])).status_code == 404


def test_detail_shows_write_up_and_wishes_fulfilled(client, staff):
    event = EventFactory(description="科技馆的志愿者带来了科普书。\n孩子们表演了节目。")
    fulfil_at(event, staff, photos=0)

    response = client.get(detail(event), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "科技馆的志愿者带来了科普书。" in response.text
    assert response.context["event"].fulfilled == 1


def test_detail_masks_a_phone_number_in_the_write_up(client):
    event = EventFactory(description="联系王老师 13812345678 报名")

    html = client.get(detail(event)).text

    assert "13812345678" not in html
    assert "联系王老师" in html


def test_units_are_named_and_individuals_are_not(client, staff):
    event = EventFactory()
    event.sponsors.add(SponsorFactory(verified=True, name="上海科技馆"))
    event.sponsors.add(SponsorFactory(verified=True, individual=True, name="刘爱心"))
    # A sponsor whose wish came true at the event took part even if not listed.
    fulfil_at(
        event,
        staff,
        photos=0,
        sponsor=SponsorFactory(verified=True, individual=True, name="陈善人"),
    )

    response = client.get(detail(event), HTTP_ACCEPT_LANGUAGE="en")

    html = response.text
    assert "上海科技馆" in html
    assert "刘爱心" not in html
    assert "陈善人" not in html
    assert "2 caring individuals" in html
    assert response.context["sponsors"].units == ["上海科技馆"]


def test_a_single_individual_is_a_caring_individual(client):
    event = EventFactory()
    event.sponsors.add(SponsorFactory(verified=True, individual=True, name="刘爱心"))

    html = client.get(detail(event), HTTP_ACCEPT_LANGUAGE="en").text

    assert "a caring individual" in html
    assert "刘爱心" not in html


def test_detail_shows_no_child_data(client, staff):
    event = EventFactory()
    fulfil_at(event, staff, real_name="王秘密", alias="小王同学", guardian_name="王家长")

    html = client.get(detail(event)).text

    for private in ("王秘密", "小王同学", "王家长"):
        assert private not in html


# --- photos: staff clearance AND consent to publish photos AND a public event ------------------


def test_cleared_photo_with_consent_at_a_public_event_is_shown(client, staff):
    event = EventFactory()
    [photo] = fulfil_at(event, staff)

    response = client.get(detail(event))

    assert response.context["photo_ids"] == [photo.pk]
    assert thumbnail_url(photo) in response.text
    assert reverse("files:photo", args=[photo.pk]) in response.text


def test_each_photo_is_shown_once_the_first_as_the_cover(client, staff):
    event = EventFactory()
    first, second, third = fulfil_at(event, staff, photos=3)

    html = client.get(detail(event), HTTP_ACCEPT_LANGUAGE="en").text

    for photo in (first, second, third):
        assert html.count(thumbnail_url(photo)) == 1
        assert html.count(f'href="{reverse("files:photo", args=[photo.pk])}"') == 1
    # The cover is the first photo; the gallery under it holds the other two.
    cover = html.index('class="card-img-top event-cover"')
    gallery = html.index('id="photos-heading"')
    assert cover < html.index(thumbnail_url(first)) < gallery
    assert gallery < html.index(thumbnail_url(second)) < html.index(thumbnail_url(third))


def test_a_single_photo_is_the_cover_with_no_gallery(client, staff):
    event = EventFactory()
    [photo] = fulfil_at(event, staff)

    html = client.get(detail(event), HTTP_ACCEPT_LANGUAGE="en").text

    assert html.count(thumbnail_url(photo)) == 1
    assert 'id="photos-heading"' not in html
    assert "{#" not in html
    assert "Photos are shown with the consent of the children's guardians." in html


def test_photo_not_cleared_by_staff_is_not_shown(client, staff):
    event = EventFactory()
    [photo] = fulfil_at(event, staff, cleared=False)

    response = client.get(detail(event))

    assert response.context["photo_ids"] == []
    assert thumbnail_url(photo) not in response.text


def test_photo_without_consent_to_publish_photos_is_not_shown(client, staff):
    event = EventFactory()
    [photo] = fulfil_at(event, staff, publish_photos=False, cleared=False)
    # Even a photo flagged public by some other way stays off while consent is missing.
    FulfilmentPhoto.objects.filter(pk=photo.pk).update(is_public=True)

    response = client.get(detail(event))

    assert response.context["photo_ids"] == []
    assert thumbnail_url(photo) not in response.text


def test_photo_of_an_event_made_private_disappears_with_the_event(client, staff):
    event = EventFactory()
    fulfil_at(event, staff)
    Event.objects.filter(pk=event.pk).update(is_public=False)

    assert client.get(detail(event)).status_code == 404


def test_withdrawn_photo_is_not_shown(client, staff):
    event = EventFactory()
    kept, withdrawn = fulfil_at(event, staff, photos=2)
    withdraw_photo(photo_id=withdrawn.pk, by=staff, reason="家长要求")

    response = client.get(detail(event))

    assert response.context["photo_ids"] == [kept.pk]
    assert thumbnail_url(withdrawn) not in response.text


def test_only_the_photos_of_this_event_are_shown(client, staff):
    event, other = EventFactory(), EventFactory()
    [here] = fulfil_at(event, staff)
    fulfil_at(other, staff)

    assert client.get(detail(event)).context["photo_ids"] == [here.pk]


@pytest.mark.parametrize("photos", [3, 30])
def test_detail_queries_do_not_grow_with_the_photos(
    client, staff, django_assert_num_queries, photos
):
    event = EventFactory()
    event.sponsors.add(SponsorFactory(verified=True))
    fulfil_at(event, staff, photos=photos)

    # 1. the event with school, campaign and fulfilments  2. its sponsors  3. its photo ids
    with django_assert_num_queries(3):
        response = client.get(detail(event))

    assert len(response.context["photo_ids"]) == photos


# --- today's event -----------------------------------------------------------------------------


def on_day(offset: int, **fields) -> Event:
    """A public event `offset` days from today, in the site's time zone."""
    return EventFactory(date=timezone.localdate() + datetime.timedelta(days=offset), **fields)


def badges(html: str) -> list[str]:
    """The day badges in a piece of page (Today, Upcoming), not the kind or campaign ones."""
    return re.findall(r'<span class="badge[^"]*text-bg-(?:primary|success)">([^<]*)</span>', html)


def list_item(html: str, event: Event) -> str:
    """The list entry that links to the event."""
    found = re.search(rf'<a [^>]*href="{re.escape(detail(event))}">(.*?)</a>', html, re.DOTALL)
    assert found, f"no entry for {event.title}"
    return found.group(1)


def test_list_marks_todays_event_today_and_tomorrows_upcoming(client):
    yesterday = on_day(-1, title="昨天的活动")
    today = on_day(0, title="今天的活动")
    tomorrow = on_day(1, title="明天的活动")

    response = client.get(reverse("events:list"), HTTP_ACCEPT_LANGUAGE="en")

    html = response.text
    assert badges(list_item(html, today)) == ["Today"]
    assert badges(list_item(html, tomorrow)) == ["Upcoming"]
    assert badges(list_item(html, yesterday)) == []
    # Today's event still leads the list, before the ones to come.
    shown = [event.id for event in response.context["page_obj"]]
    assert shown == [today.pk, tomorrow.pk, yesterday.pk]


@pytest.mark.parametrize(
    "offset, expected", [(0, ["Today"]), (1, ["Upcoming"]), (30, ["Upcoming"]), (-1, [])]
)
def test_detail_badge_follows_the_date(client, offset, expected):
    event = on_day(offset)

    html = client.get(detail(event), HTTP_ACCEPT_LANGUAGE="en").text

    assert badges(html) == expected


def test_today_and_upcoming_are_told_apart_by_the_local_date(client):
    today, tomorrow = on_day(0), on_day(1)

    shown = client.get(reverse("events:list")).context["page_obj"]

    assert [(e.is_today, e.is_upcoming) for e in shown] == [(True, False), (False, True)]
    assert [e.id for e in shown] == [today.pk, tomorrow.pk]


def test_an_event_without_public_photos_shows_the_drawn_scene(client, staff):
    event = EventFactory(is_public=True)
    # A photo staff have not cleared leaves the drawn scene in place.
    fulfil_at(event, staff, cleared=False)

    html = client.get(detail(event)).text

    assert "img/event." in html
    assert "/thumbnail" not in html


def test_an_event_with_a_public_photo_shows_it_as_its_cover(client, staff):
    event = EventFactory(is_public=True)
    first, second = fulfil_at(event, staff, photos=2)

    html = client.get(detail(event)).text

    cover = html.split('class="card-img-top event-cover"')[1].split(">")[0]
    assert thumbnail_url(first) in cover
    assert thumbnail_url(second) in html
    assert "img/event." not in html


def test_an_event_to_come_does_not_say_it_fulfilled_no_wish(client):
    on_day(10, title="感恩专场")
    on_day(-10, title="学雷锋日")

    listing = client.get(reverse("events:list"), HTTP_ACCEPT_LANGUAGE="en").text
    upcoming = client.get(detail(Event.objects.get(title="感恩专场")), HTTP_ACCEPT_LANGUAGE="en")
    past = client.get(detail(Event.objects.get(title="学雷锋日")), HTTP_ACCEPT_LANGUAGE="en")

    # Only the past event counts its (zero) fulfilled wishes.
    assert listing.count("0 wishes fulfilled") == 1
    assert "Wishes fulfilled" not in upcoming.text
    assert "Wishes fulfilled" in past.text
