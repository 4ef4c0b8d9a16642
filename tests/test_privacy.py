"""Children's privacy on public pages: no private field ever reaches a response.

Every private field of the children below holds a unique marker, and the child's own words
repeat them all. Each page in PUBLIC_PAGES is fetched as every role in ROLES and in both
languages, and no marker may appear. To cover a new public page, append
`("name", lambda cast: url)` to PUBLIC_PAGES.
"""

from collections.abc import Callable
from dataclasses import dataclass, fields
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.db.models import Model, QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    ChildFactory,
    ClaimFactory,
    ConsentFactory,
    FulfilmentFactory,
    RegionFactory,
    SchoolFactory,
    SponsorFactory,
    WishFactory,
)
from wishes.models import (
    Child,
    Claim,
    Consent,
    Fulfilment,
    HardshipCategory,
    PublicLocation,
    ThankYouLetter,
    Wish,
    WishStatus,
)
from wishes.public.selectors import PublicWish

# One marker per private field; none is a substring of another or of anything public.
CHILD_MARKERS = {
    "real_name": "甄秘名RNQ7",
    "class_name": "秘班CLQ7",
    "address": "秘路ADQ7弄",
    "guardian_name": "秘监护GNQ7",
    "guardian_phone": "13987650123",
    "hardship_note": "秘困难HNQ7",
}
# The school of a child whose public location is "region only".
PRIVATE_SCHOOL = "秘校SAQ7小学"
# Region and school of a child whose public location is "nothing".
HIDDEN_REGION = "秘区RGQ7镇"
HIDDEN_SCHOOL = "秘校SBQ7小学"
HIDDEN_REAL_NAME = "甄秘名HRQ7"
CONSENT_GIVEN_BY = "秘签字GBQ7"
# The claiming sponsor's contact person is a private individual too.
SPONSOR_CONTACT = "秘联系SCQ7"
SPONSOR_PHONE = "13987650456"

MARKERS = [
    *CHILD_MARKERS.values(),
    PRIVATE_SCHOOL,
    HIDDEN_REGION,
    HIDDEN_SCHOOL,
    HIDDEN_REAL_NAME,
    CONSENT_GIVEN_BY,
    SPONSOR_CONTACT,
    SPONSOR_PHONE,
]
# Birth year is private too, but a four-digit year cannot be a unique marker; the allowlist
# and SQL tests below show it is never read.

# Part of the public text, so that a search returns the marked wishes.
SEARCHABLE = "望远镜"


@dataclass
class Cast:
    wish: Wish  # open; public location "region only", so its school is private
    hidden: Wish  # open; public location "nothing"
    claimed: Wish
    fulfilled: Wish


@pytest.fixture
def cast(db) -> Cast:
    child = ChildFactory(
        **CHILD_MARKERS,
        hardship_category=HardshipCategory.ILLNESS,
        public_location=PublicLocation.REGION,
        school=SchoolFactory(name=PRIVATE_SCHOOL),
        home_region=RegionFactory(name="花木街道"),
    )
    hidden_child = ChildFactory(
        real_name=HIDDEN_REAL_NAME,
        public_location=PublicLocation.NONE,
        school=SchoolFactory(name=HIDDEN_SCHOOL, region=RegionFactory(name=HIDDEN_REGION)),
    )
    every_marker = "，".join(MARKERS)
    for marked in (child, hidden_child):
        ConsentFactory(child=marked, given_by=CONSENT_GIVEN_BY)

    def wish(child: Child, **kwargs) -> Wish:
        return WishFactory(
            child=child,
            child_words=f"我叫{every_marker}，我想要一个望远镜",
            public_text="想要一个天文望远镜，看星星",
            status=kwargs.pop("status", WishStatus.OPEN),
            published_at=timezone.now(),
            **kwargs,
        )

    sponsor = SponsorFactory(verified=True, contact_name=SPONSOR_CONTACT, phone=SPONSOR_PHONE)
    claimed = wish(child, status=WishStatus.CLAIMED)
    ClaimFactory(wish=claimed, sponsor=sponsor)
    fulfilled = wish(hidden_child, status=WishStatus.FULFILLED)
    FulfilmentFactory(claim__wish=fulfilled, claim__sponsor=sponsor)
    return Cast(wish=wish(child), hidden=wish(hidden_child), claimed=claimed, fulfilled=fulfilled)


def _list(**params) -> str:
    return f"{reverse('wishes:list')}?{urlencode(params)}"


PUBLIC_PAGES: list[tuple[str, Callable[[Cast], str]]] = [
    ("home", lambda cast: reverse("home")),
    ("wish list", lambda cast: reverse("wishes:list")),
    ("search", lambda cast: _list(q=SEARCHABLE)),
    ("filtered", lambda cast: _list(category="books", grade="middle", order="newest")),
    ("by region", lambda cast: _list(region=cast.wish.child.home_region_id)),
    ("hidden child's region", lambda cast: _list(region=cast.hidden.child.home_region_id)),
    ("open wish", lambda cast: cast.wish.get_absolute_url()),
    ("wish of a hidden child", lambda cast: cast.hidden.get_absolute_url()),
    ("claimed wish", lambda cast: cast.claimed.get_absolute_url()),
    ("fulfilled wish", lambda cast: cast.fulfilled.get_absolute_url()),
]
ROLES = ["anonymous", "sponsor", "unverified_sponsor", "plain_user"]
LANGUAGES = ["zh-hans", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PUBLIC_PAGES, ids=[name for name, _url in PUBLIC_PAGES])
def test_public_page_shows_no_private_field(cast, client_for, page, role, language):
    _name, url = page
    response = client_for(role).get(url(cast), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    html = response.text
    leaked = [marker for marker in MARKERS if marker in html]
    assert leaked == []
    if language == "en":
        assert str(HardshipCategory.ILLNESS.label) not in html


def test_pages_do_show_the_public_facts(cast, client):
    # Guards the test above: the marked wishes really are on the pages that were checked.
    html = client.get(_list(q=SEARCHABLE)).text

    assert cast.wish.code in html
    assert cast.hidden.code in html
    assert "花木街道" in html


@pytest.mark.parametrize("marker", MARKERS)
def test_searching_a_private_field_finds_nothing(cast, client, marker):
    response = client.get(reverse("wishes:list"), {"q": marker})

    assert list(response.context["page_obj"]) == []


def test_public_wish_holds_only_the_allowlist():
    assert {field.name for field in fields(PublicWish)} == {
        "id",
        "code",
        "alias",
        "grade_band",
        "location",
        "category",
        "public_text",
        "value_band",
        "status",
        "days_waiting",
        # When it was published, which "days waiting" counts from (the feed's cursor).
        "published_at",
        # The category again, as its code: which illustration the card shows.
        "category_code",
    }


PRIVATE_COLUMNS = [
    "real_name",
    "private_words",
    "birth_year",
    "class_name",
    "address",
    "guardian_name",
    "guardian_phone",
    "hardship_category",
    "hardship_note",
    "gender",
    "child_words",
    "given_by",
    "contact_name",
]


def test_public_pages_never_read_a_private_column(cast, client):
    with CaptureQueriesContext(connection) as queries:
        for _name, url in PUBLIC_PAGES:
            client.get(url(cast))

    sql = "\n".join(query["sql"] for query in queries.captured_queries)
    assert "wishes_wish" in sql
    assert [column for column in PRIVATE_COLUMNS if f'"{column}"' in sql] == []


PRIVATE_MODELS = (Wish, Child, Consent, Claim, Fulfilment, ThankYouLetter)


def _private_objects(value) -> list:
    if isinstance(value, PRIVATE_MODELS):
        return [value]
    if isinstance(value, QuerySet) and issubclass(value.model, PRIVATE_MODELS):
        return [value]
    if isinstance(value, list | tuple):
        return [found for item in value for found in _private_objects(item)]
    return []


@pytest.mark.parametrize("page", PUBLIC_PAGES, ids=[name for name, _url in PUBLIC_PAGES])
def test_public_templates_get_no_model_instances(cast, client, page):
    _name, url = page
    response = client.get(url(cast))

    found = []
    for context in response.context:
        for key, value in context.flatten().items():
            items = list(value) if key in {"page_obj", "similar", "waiting_wishes"} else [value]
            found += [(key, obj) for obj in _private_objects(items)]
            assert not isinstance(value, Model) or key in {"user", "campaign"}, key
    assert found == []


# The child's own data; the sponsor's contact person may of course read its own mail.
CHILD_ONLY_MARKERS = [m for m in MARKERS if m not in (SPONSOR_CONTACT, SPONSOR_PHONE)]


def test_no_email_of_a_wish_life_carries_the_childs_private_data(
    cast, staff, coordinator, django_capture_on_commit_callbacks, mailoutbox
):
    import datetime

    from huamu.images import clean_image
    from wishes.claiming.follow_up import follow_up_claims
    from wishes.services import (
        approve_letter,
        cancel_claim,
        claim_wish,
        record_fulfilment,
        upload_letter,
        withdraw_wish,
    )

    sponsor = SponsorFactory(verified=True)
    today = timezone.localdate()
    photo = _letter_scan()
    with django_capture_on_commit_callbacks(execute=True):
        claim = claim_wish(wish_id=cast.wish.pk, sponsor=sponsor, by=staff)
        cancel_claim(claim_id=claim.pk, by=staff, reason="换一个心愿")
        claim = claim_wish(wish_id=cast.wish.pk, sponsor=sponsor, by=staff)
        fulfilment = record_fulfilment(claim_id=claim.pk, by=coordinator, fulfilled_on=today)
        letter = upload_letter(
            fulfilment_id=fulfilment.pk, by=coordinator, scan=clean_image(photo)
        )
        approve_letter(letter_id=letter.pk, by=staff)
        soon = claim_wish(
            wish_id=cast.hidden.pk,
            sponsor=sponsor,
            by=staff,
            promised_on=today + datetime.timedelta(days=1),
        )
        follow_up_claims(today=today + datetime.timedelta(days=5))
        withdraw_wish(wish_id=soon.wish_id, by=staff, reason="监护人撤回")

    # New claim ×3, cancellation, fulfilment, letter uploaded and delivered, reminder,
    # overdue digest, withdrawal: every kind of mail a wish's life sends.
    assert len(mailoutbox) >= 8, [mail.subject for mail in mailoutbox]
    for message in mailoutbox:
        text = message.subject + message.body + "".join(str(a) for a in message.alternatives)
        leaked = [marker for marker in CHILD_ONLY_MARKERS if marker in text]
        assert leaked == [], message.subject


def test_no_email_of_a_sponsor_rejection_carries_the_childs_private_data(
    cast, staff, django_capture_on_commit_callbacks, mailoutbox
):
    from sponsors.services import reject_sponsor
    from wishes.services import claim_wish

    # The cast's sponsor holds the claim on `claimed`; it claims the hidden child's wish too.
    sponsor = cast.claimed.claims.get().sponsor
    claim_wish(wish_id=cast.hidden.pk, sponsor=sponsor, by=staff)
    with django_capture_on_commit_callbacks(execute=True):
        reject_sponsor(sponsor_id=sponsor.pk, by=staff, reason="单位已注销", release_claims=True)

    # The sponsor's rejection naming the wishes given back, and staff's one notice.
    assert len(mailoutbox) == 2, [mail.subject for mail in mailoutbox]
    bodies = "".join(message.body for message in mailoutbox)
    assert cast.claimed.code in bodies
    assert cast.hidden.code in bodies
    for message in mailoutbox:
        text = message.subject + message.body + "".join(str(a) for a in message.alternatives)
        leaked = [marker for marker in CHILD_ONLY_MARKERS if marker in text]
        assert leaked == [], message.subject


def _letter_scan():
    """A small phone photo, as the upload forms receive it."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, "JPEG")
    return SimpleUploadedFile("letter.jpg", buffer.getvalue(), "image/jpeg")
