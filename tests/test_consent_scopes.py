"""A consent's scopes stop applying on every path once it expires, and the letter goes to the
sponsor only with the guardian's consent to pass it on."""

import datetime

import pytest
from django.contrib.messages import constants, get_messages
from django.urls import reverse
from django.utils import timezone, translation

from huamu.errors import TransitionError
from sponsors.models import Sponsor
from tests import image_corpus as corpus
from tests.factories import ClaimFactory, EventFactory, WishFactory
from wishes.models import Consent, Fulfilment, LetterStatus, ThankYouLetter
from wishes.public.selectors import photos_shared_with, public_photos, public_wish
from wishes.services import (
    approve_letter,
    may_be_public,
    publish_wish,
    record_fulfilment,
    set_photo_publication,
    upload_letter,
)

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("sponsors:dashboard")
LETTER_TEXT = "谢谢您送我的天文望远镜，我每天晚上都看星星！"


def expire(child_id: int) -> None:
    """Let every consent of the child run out yesterday (saved, as staff would)."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    for consent in Consent.objects.filter(child_id=child_id):
        consent.given_on = yesterday - datetime.timedelta(days=300)
        consent.valid_until = yesterday
        consent.save()


def sponsor_of(user) -> Sponsor:
    return user.sponsor_member.sponsor


def fulfilled(sponsor_user, staff, **consent) -> Fulfilment:
    """The sponsor's claim, fulfilled at a public event with one photo, consent as given."""
    claim = ClaimFactory(sponsor=sponsor_of(sponsor_user))
    Consent.objects.filter(child_id=claim.wish.child_id).update(**consent)
    return record_fulfilment(
        claim_id=claim.pk,
        by=staff,
        fulfilled_on=timezone.localdate(),
        event=EventFactory(is_public=True),
        photos=[corpus.clean("good_jpeg")],
    )


def letter_of(fulfilment: Fulfilment, staff, *, approve: bool = True) -> ThankYouLetter:
    letter = upload_letter(
        fulfilment_id=fulfilment.pk,
        by=staff,
        scan=corpus.clean("good_png"),
        transcription=LETTER_TEXT,
    )
    return approve_letter(letter_id=letter.pk, by=staff) if approve else letter


def dashboard(client) -> str:
    response = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


# --- expiry ----------------------------------------------------------------------------------


def test_a_wish_whose_consent_expired_is_not_public(client, staff):
    wish = WishFactory(open=True)
    detail = reverse("wishes:detail", args=[wish.pk])
    assert client.get(detail).status_code == 200

    expire(wish.child_id)

    assert client.get(detail).status_code == 404
    assert public_wish(wish.pk) is None
    assert wish.code not in client.get(reverse("wishes:list")).content.decode()
    assert wish.code not in client.get(reverse("feed:wishes")).content.decode()
    assert not may_be_public(wish)


def test_a_draft_cannot_be_published_on_an_expired_consent(staff):
    wish = WishFactory()
    expire(wish.child_id)

    with pytest.raises(TransitionError):
        publish_wish(wish_id=wish.pk, by=staff)


def test_photos_are_neither_shared_nor_public_once_the_consent_expired(client_for, sponsor, staff):
    fulfilment = fulfilled(sponsor, staff, publish_photos=True)
    photo = fulfilment.photos.get()
    set_photo_publication(photo_id=photo.pk, by=staff, public=True)
    assert photos_shared_with(sponsor_of(sponsor)).filter(pk=photo.pk).exists()
    thumbnail = reverse("files:photo_thumbnail", args=[photo.pk])
    assert thumbnail in dashboard(client_for("sponsor"))

    expire(fulfilment.claim.wish.child_id)

    assert not photos_shared_with(sponsor_of(sponsor)).exists()
    assert not public_photos().exists()
    assert thumbnail not in dashboard(client_for("sponsor"))
    for role in ("sponsor", "anonymous"):
        assert client_for(role).get(reverse("files:photo", args=[photo.pk])).status_code == 404
    # The school and staff keep their own copy of the record.
    assert client_for("staff").get(reverse("files:photo", args=[photo.pk])).status_code == 200


def test_a_delivered_letter_is_not_shown_once_the_consent_expired(client_for, sponsor, staff):
    letter = letter_of(fulfilled(sponsor, staff), staff)
    preview = reverse("files:letter_preview", args=[letter.pk])
    html = dashboard(client_for("sponsor"))
    assert LETTER_TEXT in html
    assert preview in html

    expire(letter.fulfilment.claim.wish.child_id)

    html = dashboard(client_for("sponsor"))
    assert LETTER_TEXT not in html
    assert preview not in html
    # Kindly: the sponsor still learns that the child wrote to them.
    assert "Letter received" in html
    assert client_for("sponsor").get(preview).status_code == 404


# --- the letter scope ------------------------------------------------------------------------


def test_a_sponsor_without_the_letter_scope_sees_no_letter_text_nor_scan(
    client_for, sponsor, staff
):
    fulfilment = fulfilled(sponsor, staff)
    letter = letter_of(fulfilment, staff)
    Consent.objects.filter(child_id=fulfilment.claim.wish.child_id).update(
        share_letter_with_sponsor=False
    )

    html = dashboard(client_for("sponsor"))

    assert LETTER_TEXT not in html
    assert reverse("files:letter_preview", args=[letter.pk]) not in html
    assert "The child has written you a thank-you letter" in html
    response = client_for("sponsor").get(reverse("files:letter_preview", args=[letter.pk]))
    assert response.status_code == 404
    # Staff and the school still open the sponsor's copy.
    response = client_for("staff").get(reverse("files:letter_preview", args=[letter.pk]))
    assert response.status_code == 200


def test_approving_a_letter_without_the_scope_is_refused_and_changes_nothing(
    sponsor, staff, mailoutbox, django_capture_on_commit_callbacks
):
    fulfilment = fulfilled(sponsor, staff, share_letter_with_sponsor=False)
    letter = letter_of(fulfilment, staff, approve=False)

    with (
        translation.override("en"),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(TransitionError) as error,
    ):
        approve_letter(letter_id=letter.pk, by=staff)

    assert "does not pass the letter to the sponsor" in str(error.value)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.PENDING
    assert not letter.preview
    assert mailoutbox == []


def test_staff_see_the_missing_scope_and_the_approval_action_says_why(client_for, sponsor, staff):
    fulfilment = fulfilled(sponsor, staff, share_letter_with_sponsor=False)
    letter = letter_of(fulfilment, staff, approve=False)
    client = client_for("staff")
    changelist = reverse("admin:wishes_thankyouletter_changelist")

    listing = client.get(changelist, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    response = client.post(
        changelist,
        {"action": "approve", "index": "0", "_selected_action": [str(letter.pk)]},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert "Consent to pass it to the sponsor" in listing
    assert 'alt="False"' in listing
    errors = [str(m) for m in get_messages(response.wsgi_request) if m.level == constants.ERROR]
    assert len(errors) == 1
    assert "不包括向认领方转交感谢信" in errors[0]
    letter.refresh_from_db()
    assert letter.status == LetterStatus.PENDING


def test_a_pending_letter_without_the_scope_is_only_announced(client_for, sponsor, staff):
    fulfilment = fulfilled(sponsor, staff, share_letter_with_sponsor=False)
    letter_of(fulfilment, staff, approve=False)

    html = dashboard(client_for("sponsor"))

    assert LETTER_TEXT not in html
    assert "Letter received" in html
    assert "Letter pending" not in html


def test_the_claim_page_promises_the_letter_only_where_the_guardian_passes_it_on(
    client_for, sponsor
):
    shared = ClaimFactory(sponsor=sponsor_of(sponsor))
    kept = ClaimFactory(sponsor=sponsor_of(sponsor))
    Consent.objects.filter(child_id=kept.wish.child_id).update(share_letter_with_sponsor=False)
    client = client_for("sponsor")

    def page(claim) -> str:
        url = reverse("sponsors:claim", args=[claim.pk])
        return client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "thank-you letter will appear on your page." in page(shared)
    assert "your page will tell you" not in page(shared)
    assert "the association keeps the letter itself" in page(kept)
    assert "will appear on your page" not in page(kept)
