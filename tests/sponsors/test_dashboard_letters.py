"""What a sponsor sees of a fulfilled claim: date, event, shared photos and the letter."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from sponsors.models import Sponsor
from tests import image_corpus as corpus
from tests.factories import ClaimFactory, EventFactory
from wishes.models import Child, Consent, Fulfilment, ThankYouLetter
from wishes.services import (
    approve_letter,
    record_fulfilment,
    reject_letter,
    upload_letter,
    withdraw_consent,
    withdraw_photo,
)

DASHBOARD = reverse("sponsors:dashboard")
LETTER_TEXT = "谢谢叔叔阿姨送我的科普书，我会好好学习！"


def sponsor_of(user) -> Sponsor:
    return user.sponsor_member.sponsor


def fulfil(sponsor_user, staff, *, photos: int = 1, event=None) -> Fulfilment:
    """A claim of the sponsor, fulfilled through the service with `photos` photos."""
    claim = ClaimFactory(sponsor=sponsor_of(sponsor_user))
    return record_fulfilment(
        claim_id=claim.pk,
        by=staff,
        fulfilled_on=timezone.localdate(),
        event=event,
        photos=[corpus.clean("good_jpeg") for _ in range(photos)],
    )


def add_letter(fulfilment: Fulfilment, staff, *, approve: bool) -> ThankYouLetter:
    letter = upload_letter(
        fulfilment_id=fulfilment.pk,
        by=staff,
        scan=corpus.clean("good_png"),
        transcription=LETTER_TEXT,
    )
    return approve_letter(letter_id=letter.pk, by=staff) if approve else letter


def set_sharing(fulfilment: Fulfilment, share: bool) -> None:
    Consent.objects.filter(child_id=fulfilment.claim.wish.child_id).update(
        share_photos_with_sponsor=share
    )


def dashboard_html(client) -> str:
    response = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def photo_urls(fulfilment: Fulfilment) -> list[str]:
    urls = []
    for photo in fulfilment.photos.all():
        urls += [
            reverse("files:photo_thumbnail", args=[photo.pk]),
            reverse("files:photo", args=[photo.pk]),
        ]
    return urls


@pytest.mark.django_db
def test_fulfilled_claim_shows_its_date_and_event(client_for, sponsor, staff):
    event = EventFactory(title="学雷锋日圆梦专场")
    fulfilment = fulfil(sponsor, staff, event=event)

    html = dashboard_html(client_for("sponsor"))

    assert "Fulfilled on" in html
    assert f"{fulfilment.fulfilled_on:%Y-%m-%d}" in html
    assert "学雷锋日圆梦专场" in html


@pytest.mark.django_db
def test_sponsor_sees_thumbnails_linking_to_the_photos_shared_by_consent(
    client_for, sponsor, staff
):
    fulfilment = fulfil(sponsor, staff, photos=2)

    html = dashboard_html(client_for("sponsor"))

    for photo in fulfilment.photos.all():
        thumbnail = reverse("files:photo_thumbnail", args=[photo.pk])
        full = reverse("files:photo", args=[photo.pk])
        assert f'<a href="{full}">' in html
        assert f'src="{thumbnail}"' in html


@pytest.mark.django_db
def test_no_thumbnails_without_the_guardians_consent_to_share(client_for, sponsor, staff):
    fulfilment = fulfil(sponsor, staff)
    set_sharing(fulfilment, False)

    html = dashboard_html(client_for("sponsor"))

    assert fulfilment.claim.wish.code in html
    for url in photo_urls(fulfilment):
        assert url not in html


@pytest.mark.django_db
def test_thumbnails_go_when_consent_is_withdrawn_or_the_photo_is(client_for, sponsor, staff):
    shared = fulfil(sponsor, staff)
    withdrawn_consent = fulfil(sponsor, staff)
    withdrawn_photo = fulfil(sponsor, staff)
    withdraw_consent(
        consent_id=Consent.objects.get(child_id=withdrawn_consent.claim.wish.child_id).pk,
        by=staff,
    )
    withdraw_photo(photo_id=withdrawn_photo.photos.get().pk, by=staff, reason="拍到了家长")

    html = dashboard_html(client_for("sponsor"))

    for url in photo_urls(shared):
        assert url in html
    for url in photo_urls(withdrawn_consent) + photo_urls(withdrawn_photo):
        assert url not in html


@pytest.mark.django_db
def test_approved_letter_shows_as_delivered_with_its_copy_and_transcription(
    client_for, sponsor, staff
):
    letter = add_letter(fulfil(sponsor, staff), staff, approve=True)

    html = dashboard_html(client_for("sponsor"))

    preview = reverse("files:letter_preview", args=[letter.pk])
    assert "Letter delivered" in html
    assert f'src="{preview}"' in html
    assert f'href="{preview}"' in html
    assert LETTER_TEXT in html
    assert "Letter pending" not in html
    # The original scan is never offered to the sponsor.
    assert f'"{reverse("files:letter_scan", args=[letter.pk])}"' not in html


@pytest.mark.django_db
def test_pending_letter_shows_pending_without_a_copy_or_its_text(client_for, sponsor, staff):
    letter = add_letter(fulfil(sponsor, staff), staff, approve=False)

    html = dashboard_html(client_for("sponsor"))

    assert "Letter pending" in html
    assert "Letter delivered" not in html
    assert f"/files/letters/{letter.pk}/" not in html
    assert LETTER_TEXT not in html


@pytest.mark.django_db
def test_no_letter_shows_no_letter_status(client_for, sponsor, staff):
    fulfil(sponsor, staff)
    html = dashboard_html(client_for("sponsor"))
    assert "Letter pending" not in html
    assert "Letter delivered" not in html


@pytest.mark.django_db
def test_rejected_letter_is_not_shown_to_the_sponsor(client_for, sponsor, staff):
    letter = add_letter(fulfil(sponsor, staff), staff, approve=False)
    reject_letter(letter_id=letter.pk, by=staff, reason="信里写了孩子的全名")

    html = dashboard_html(client_for("sponsor"))

    assert "Letter pending" not in html
    assert "Letter delivered" not in html
    assert LETTER_TEXT not in html
    assert "孩子的全名" not in html


@pytest.mark.django_db
def test_other_sponsor_sees_nothing_of_it(client_for, sponsor, other_sponsor, staff):
    fulfilment = fulfil(sponsor, staff, photos=2)
    letter = add_letter(fulfilment, staff, approve=True)

    html = dashboard_html(client_for("other_sponsor"))

    assert fulfilment.claim.wish.code not in html
    assert LETTER_TEXT not in html
    assert "Letter delivered" not in html
    for url in photo_urls(fulfilment) + [reverse("files:letter_preview", args=[letter.pk])]:
        assert url not in html
    client = client_for("other_sponsor")
    for url in photo_urls(fulfilment) + [reverse("files:letter_preview", args=[letter.pk])]:
        assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_dashboard_with_photos_and_letters_shows_no_private_data(client_for, sponsor, staff):
    fulfilment = fulfil(sponsor, staff)
    add_letter(fulfilment, staff, approve=True)
    child = Child.objects.get(pk=fulfilment.claim.wish.child_id)

    html = dashboard_html(client_for("sponsor"))

    for private in (child.real_name, child.guardian_name, child.address, child.school.name):
        assert private not in html


@pytest.mark.django_db
def test_watermarked_copy_served_to_the_sponsor_differs_from_the_scan(client_for, sponsor, staff):
    letter = add_letter(fulfil(sponsor, staff), staff, approve=True)
    client = client_for("sponsor")

    response = client.get(reverse("files:letter_preview", args=[letter.pk]))

    assert response.status_code == 200
    served = b"".join(response.streaming_content)
    with letter.scan.open("rb") as scan:
        original = scan.read()
    assert served != original
    assert Image.open(io.BytesIO(served)).format == "JPEG"
    assert Image.open(io.BytesIO(original)).format == "PNG"
    assert client.get(reverse("files:letter_scan", args=[letter.pk])).status_code == 404


@pytest.mark.django_db
def test_dashboard_renders_the_letter_section_in_chinese_by_default(client_for, sponsor, staff):
    add_letter(fulfil(sponsor, staff), staff, approve=True)
    html = client_for("sponsor").get(DASHBOARD).content.decode()
    assert "圆梦日期" in html
    assert LETTER_TEXT in html


@pytest.mark.parametrize("claims", [1, 4, 12])
@pytest.mark.django_db
def test_query_count_does_not_grow_with_photos_and_letters(
    claims, client_for, sponsor, staff, django_assert_num_queries
):
    for _ in range(claims):
        fulfilment = fulfil(sponsor, staff, photos=2, event=EventFactory())
        add_letter(fulfilment, staff, approve=True)
        add_letter(fulfilment, staff, approve=False)
    client = client_for("sponsor")
    # 1 session, 2 user with membership, sponsor and region, 3 claims counted by status,
    # 4 a page of claims with wish, child alias, fulfilment and event, 5 their history,
    # 6 photos shared with the sponsor and 7 letters pending or delivered of that page,
    # 8 the newest approved letters, 9 the member's volunteer hours, 10 the upcoming events
    # with the sponsor's sign-up, 11 the fulfilled claims waiting for the sponsor's feedback.
    with django_assert_num_queries(11):
        response = client.get(DASHBOARD)
    rows = response.context["claims"]
    assert len(rows) == min(claims, 10)
    assert all(len(row.photos) == 2 and len(row.letters) == 2 for row in rows)


@pytest.mark.django_db
def test_a_delivered_letters_words_are_shown_once_with_the_wish_it_thanks_for(
    client_for, sponsor, staff
):
    fulfilment = fulfil(sponsor, staff)
    letter = add_letter(fulfilment, staff, approve=True)

    html = dashboard_html(client_for("sponsor"))

    assert html.count(LETTER_TEXT) == 1
    # The letters section names the wish and links the copy.
    section = html.split('id="letters-heading"', 1)[1].split("</section>", 1)[0]
    alias = fulfilment.claim.wish.child.alias
    assert f"From {alias}, for wish {fulfilment.claim.wish.code}" in section
    assert reverse("files:letter_preview", args=[letter.pk]) in section


@pytest.mark.django_db
def test_the_letters_section_lists_the_three_newest_and_points_to_the_rest(
    client_for, sponsor, staff
):
    letters = [add_letter(fulfil(sponsor, staff), staff, approve=True) for _ in range(4)]

    html = dashboard_html(client_for("sponsor"))

    section = html.split('id="letters-heading"', 1)[1].split("</section>", 1)[0]
    for newer in letters[1:]:
        assert reverse("files:letter_preview", args=[newer.pk]) in section
    assert reverse("files:letter_preview", args=[letters[0].pk]) not in section
    assert "These are the newest letters." in section
    assert f"{DASHBOARD}?status=fulfilled" in section


@pytest.mark.django_db
def test_photos_and_letters_of_claims_on_a_later_page_show_there(client_for, sponsor, staff):
    oldest = fulfil(sponsor, staff)
    letter = add_letter(oldest, staff, approve=True)
    for _ in range(10):
        fulfil(sponsor, staff, photos=0)
    client = client_for("sponsor")
    preview = reverse("files:letter_preview", args=[letter.pk])
    thumbnail = reverse("files:photo_thumbnail", args=[oldest.photos.get().pk])

    first = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    second = client.get(DASHBOARD, {"page": 2}, HTTP_ACCEPT_LANGUAGE="en")

    assert thumbnail not in first.content.decode()
    assert LETTER_TEXT not in first.content.decode()
    [row] = second.context["claims"]
    assert row.claim.pk == oldest.claim_id
    assert [photo.pk for photo in row.photos] == [oldest.photos.get().pk]
    assert [delivered.pk for delivered in row.delivered_letters] == [letter.pk]
    html = second.content.decode()
    assert thumbnail in html
    assert LETTER_TEXT in html
    assert preview in html
