"""The sponsor dashboard's claims and letters from the shared cache: fast, and never stale.

The page around them (navbar, messages, verification) is rendered on every request; the
claims and letters are kept per sponsor until public data changes (huamu/cache.py).
"""

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from sponsors.models import Sponsor
from tests import image_corpus as corpus
from tests.factories import ClaimFactory, SponsorMemberFactory, WishFactory
from wishes.models import WishStatus
from wishes.services import (
    approve_letter,
    claim_wish,
    record_fulfilment,
    upload_letter,
    withdraw_photo,
)

DASHBOARD = reverse("sponsors:dashboard")
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


@pytest.fixture
def fragment_cache(settings, db):
    """The shared cache on, in an in-memory cache of this test's own."""
    settings.CACHES = {"default": {"BACKEND": LOCMEM, "LOCATION": f"test-{uuid.uuid4().hex}"}}
    settings.HUAMU_PUBLIC_CACHE = True


def sponsor_of(user) -> Sponsor:
    return user.sponsor_member.sponsor


def claims_part(page: str) -> str:
    return page.split('id="letters-heading"', 1)[1].split("</main>", 1)[0]


def html(client, **params) -> str:
    response = client.get(DASHBOARD, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_a_second_visit_reads_only_who_is_logged_in(
    fragment_cache, client_for, sponsor, django_assert_num_queries
):
    for _ in range(3):
        claim_wish(wish_id=WishFactory(open=True).pk, sponsor=sponsor_of(sponsor), by=sponsor)
    client = client_for("sponsor")
    first = html(client)

    # 1 session, 2 user with membership, sponsor and region, 3 the member's volunteer hours,
    # 4 the upcoming events with the sponsor's sign-up (never cached): nothing of the claims.
    with django_assert_num_queries(4):
        second = html(client)

    # The same claims and letters; the page around them is rendered anew.
    assert claims_part(second) == claims_part(first)
    for claim in sponsor_of(sponsor).claims.all():
        assert claim.wish.code in second


def test_cancelling_shows_at_once_with_the_message(
    fragment_cache, client_for, sponsor, django_capture_on_commit_callbacks
):
    claim = claim_wish(wish_id=WishFactory(open=True).pk, sponsor=sponsor_of(sponsor), by=sponsor)
    client = client_for("sponsor")
    assert reverse("sponsors:cancel_claim", args=[claim.pk]) in html(client)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("sponsors:cancel_claim", args=[claim.pk]),
            {"reason": "单位预算调整"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    page = html(client)

    assert "is cancelled; the wish is waiting again." in page
    assert reverse("sponsors:cancel_claim", args=[claim.pk]) not in page
    assert "单位预算调整" in page


def test_a_change_made_by_staff_shows_on_the_next_visit(
    fragment_cache, client_for, sponsor, staff, django_capture_on_commit_callbacks
):
    # Each change is committed (its after-commit bump run) before the sponsor looks.
    committed = django_capture_on_commit_callbacks
    claim = ClaimFactory(sponsor=sponsor_of(sponsor))
    client = client_for("sponsor")
    assert "Letter delivered" not in html(client)

    with committed(execute=True):
        fulfilment = record_fulfilment(
            claim_id=claim.pk,
            by=staff,
            fulfilled_on=timezone.localdate(),
            photos=[corpus.clean("good_jpeg")],
        )
    photo = fulfilment.photos.get()
    thumbnail = reverse("files:photo_thumbnail", args=[photo.pk])
    assert thumbnail in html(client)

    with committed(execute=True):
        letter = upload_letter(
            fulfilment_id=fulfilment.pk,
            by=staff,
            scan=corpus.clean("good_png"),
            transcription="谢谢您送我的书包！",
        )
    assert "Letter pending" in html(client)
    with committed(execute=True):
        approve_letter(letter_id=letter.pk, by=staff)
    page = html(client)
    assert "Letter delivered" in page
    assert "谢谢您送我的书包！" in page

    with committed(execute=True):
        withdraw_photo(photo_id=photo.pk, by=staff, reason="拍到了家长")
    assert thumbnail not in html(client)


def test_each_sponsor_sees_only_its_own_claims_from_the_cache(
    fragment_cache, client_for, sponsor, other_sponsor
):
    own = ClaimFactory(sponsor=sponsor_of(sponsor))
    others = ClaimFactory(sponsor=sponsor_of(other_sponsor))

    # The first sponsor's page goes into the cache first.
    mine = html(client_for("sponsor"))
    theirs = html(client_for("other_sponsor"))

    assert own.wish.code in mine and others.wish.code not in mine
    assert others.wish.code in theirs and own.wish.code not in theirs


def test_members_of_one_unit_share_the_units_claims(fragment_cache, client, sponsor):
    own = ClaimFactory(sponsor=sponsor_of(sponsor))
    colleague = SponsorMemberFactory(sponsor=sponsor_of(sponsor)).user
    client.force_login(colleague)
    assert own.wish.code in html(client)


def test_languages_tabs_and_pages_are_kept_apart(fragment_cache, client_for, sponsor):
    for _ in range(12):
        ClaimFactory(sponsor=sponsor_of(sponsor))
    cancelled = ClaimFactory(
        sponsor=sponsor_of(sponsor),
        status="cancelled",
        cancel_reason="时间冲突",
        wish__status=WishStatus.OPEN,
    )
    client = client_for("sponsor")

    english = html(client)
    chinese = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "My claims" in english and "Claims by status" in english
    assert "按状态查看认领" in chinese and "Claims by status" not in chinese

    assert cancelled.wish.code in html(client)  # the newest, on page 1
    assert cancelled.wish.code not in html(client, page=2)
    assert cancelled.wish.code not in html(client, status="active")
    assert cancelled.wish.code in html(client, status="cancelled")
    # A page number that is not one shows the first page, from the same entry.
    assert cancelled.wish.code in html(client, page="abc")


def test_without_a_working_cache_the_page_still_renders(settings, client_for, sponsor, db):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Nothing listens on port 9: every cache call fails.
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    settings.HUAMU_PUBLIC_CACHE = True
    own = ClaimFactory(sponsor=sponsor_of(sponsor))
    assert own.wish.code in html(client_for("sponsor"))
