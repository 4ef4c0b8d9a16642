"""Children's privacy on the public event pages.

The marked children of tests/test_privacy.py have their wishes fulfilled at a public event,
with one photo cleared for publication and one not. Event pages never name a child, not even
by alias: they show a count of wishes and the cleared photos only.
"""

import io
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from huamu.images import clean_image
from tests.factories import EventFactory, SchoolFactory, SponsorFactory
from tests.test_privacy import (  # noqa: F401 (cast is a fixture used by name)
    LANGUAGES,
    MARKERS,
    PRIVATE_COLUMNS,
    ROLES,
    Cast,
    cast,
)
from wishes.models import Claim, Consent, Event, Fulfilment, FulfilmentPhoto
from wishes.services import add_fulfilment_photos, record_fulfilment, set_photo_publication

# A caring individual's name is personal data too.
INDIVIDUAL_NAME = "秘个人INQ7"
UNIT_NAME = "公开单位UNQ7"


@dataclass
class EventCast:
    event: Event
    shown: FulfilmentPhoto  # cleared by staff, consent to publish photos in force
    hidden: FulfilmentPhoto  # consent in force, but never cleared by staff
    aliases: list[str]


def tiny_photo():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(buffer, "JPEG")
    return clean_image(SimpleUploadedFile("phone.jpg", buffer.getvalue(), "image/jpeg"))


@pytest.fixture
def event_cast(cast: Cast, staff) -> EventCast:  # noqa: F811
    event = EventFactory(
        title="圆梦专场",
        school=SchoolFactory(name="花木中心小学"),
        description="孩子们收到了礼物。",
    )
    event.sponsors.add(SponsorFactory(verified=True, name=UNIT_NAME))
    event.sponsors.add(SponsorFactory(verified=True, individual=True, name=INDIVIDUAL_NAME))
    # The marked child's claimed wish comes true at the event, with two photos.
    claim = Claim.objects.get(wish=cast.claimed)
    Consent.objects.filter(child=cast.claimed.child).update(publish_photos=True)
    fulfilment = record_fulfilment(
        claim_id=claim.pk,
        by=staff,
        fulfilled_on=timezone.localdate(),
        event=event,
        photos=[tiny_photo()],
    )
    [shown] = fulfilment.photos.all()
    [hidden] = add_fulfilment_photos(fulfilment_id=fulfilment.pk, by=staff, images=[tiny_photo()])
    set_photo_publication(photo_id=shown.pk, by=staff, public=True)
    # The hidden child's wish was fulfilled there too (it is the cast's fulfilled wish).
    Fulfilment.objects.filter(claim__wish=cast.fulfilled).update(event=event)
    aliases = [cast.claimed.child.alias, cast.fulfilled.child.alias]
    return EventCast(event=event, shown=shown, hidden=hidden, aliases=aliases)


EVENT_PAGES = {
    "events list": lambda ec: reverse("events:list"),
    "event": lambda ec: reverse("events:detail", args=[ec.event.pk]),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", list(EVENT_PAGES))
def test_event_page_shows_nothing_of_a_child(event_cast, client_for, page, role, language):
    response = client_for(role).get(EVENT_PAGES[page](event_cast), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    html = response.text
    private = [*MARKERS, *event_cast.aliases, INDIVIDUAL_NAME]
    assert [marker for marker in private if marker in html] == []
    assert reverse("files:photo_thumbnail", args=[event_cast.hidden.pk]) not in html
    assert reverse("files:photo", args=[event_cast.hidden.pk]) not in html


def test_event_page_does_show_the_public_facts(event_cast, client):
    # Guards the test above: the event really has the marked children's fulfilments.
    response = client.get(reverse("events:detail", args=[event_cast.event.pk]))

    assert response.context["event"].fulfilled == 2
    assert response.context["photo_ids"] == [event_cast.shown.pk]
    assert reverse("files:photo_thumbnail", args=[event_cast.shown.pk]) in response.text
    assert UNIT_NAME in response.text
    assert response.context["sponsors"].individuals == 1


@pytest.mark.parametrize("page", list(EVENT_PAGES))
def test_event_templates_get_no_model_instances(event_cast, client, page):
    response = client.get(EVENT_PAGES[page](event_cast))

    for context in response.context:
        for key, value in context.flatten().items():
            items = list(value) if key == "page_obj" else [value]
            models = [item for item in items if isinstance(item, Model)]
            assert models == [] or key == "user", key


def test_event_pages_never_read_a_private_column_nor_the_alias(event_cast, client):
    with CaptureQueriesContext(connection) as queries:
        for url in EVENT_PAGES.values():
            client.get(url(event_cast))

    sql = "\n".join(query["sql"] for query in queries.captured_queries)
    assert "wishes_event" in sql
    assert [column for column in [*PRIVATE_COLUMNS, "alias"] if f'"{column}"' in sql] == []
