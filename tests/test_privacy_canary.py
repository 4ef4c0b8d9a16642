"""The canary: every private field of a child (and of what is recorded about the child)
holds a marker, and nothing that leaves the back office may carry one.

tests/test_privacy.py crawls the public pages and the e-mails of a wish's life with its
marked cast; tests/test_privacy_feed.py the feed and the impact page. This file adds the
rest of what leaves: the sponsor's own pages (its claims, the letter it reads, its
certificate), every page of the feed, the printed wish cards and the campaign workbook that
staff print and mail. The markers include the fields added since that cast was written:
the private words, the consent's note, the letter's transcription and review note, the
fulfilment's note.
"""

import io
import json

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from tests import test_privacy
from tests.factories import SponsorMemberFactory, ThankYouLetterFactory
from tests.test_privacy import CHILD_ONLY_MARKERS, Cast
from wishes.models import Campaign, Child, Consent, Fulfilment, LetterStatus, Wish

cast = test_privacy.cast

MORE_MARKERS = {
    "private_words": "秘弟弟PWQ7",
    "consent_note": "秘同意备注CNQ7",
    "transcription": "秘信原文TRQ7",
    "review_note": "秘审核RVQ7",
    "fulfilment_note": "秘圆梦备注FNQ7",
}
CANARIES = [*CHILD_ONLY_MARKERS, *MORE_MARKERS.values()]


@pytest.fixture
def canary(cast: Cast) -> Cast:
    """The marked cast, with the other private fields marked too and an approved letter."""
    children = Child.objects.filter(wishes__in=[cast.wish, cast.fulfilled])
    children.update(private_words=MORE_MARKERS["private_words"])
    Consent.objects.filter(child__in=children).update(note=MORE_MARKERS["consent_note"])
    fulfilment = Fulfilment.objects.get(claim__wish=cast.fulfilled)
    Fulfilment.objects.filter(pk=fulfilment.pk).update(note=MORE_MARKERS["fulfilment_note"])
    ThankYouLetterFactory(
        fulfilment=fulfilment,
        transcription=f"谢谢您！{MORE_MARKERS['transcription']}",
        shared_text="谢谢您送给我的礼物，我会好好学习。",
        review_note=MORE_MARKERS["review_note"],
        status=LetterStatus.APPROVED,
    )
    return cast


def leaked(text: str) -> list[str]:
    return [marker for marker in CANARIES if marker in text]


def pdf_text(content: bytes) -> str:
    return "".join(
        "".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages
    )


def test_the_sponsors_pages_carry_nothing_of_the_child(canary: Cast, client):
    sponsor = canary.fulfilled.claims.get().sponsor
    member = SponsorMemberFactory(sponsor=sponsor).user
    client.force_login(member)

    pages = [reverse("sponsors:dashboard")]
    pages += [
        f"{reverse('sponsors:dashboard')}?{query}"
        for query in ("status=active", "status=fulfilled", "status=cancelled", "page=2")
    ]
    pages += [canary.fulfilled.get_absolute_url(), canary.claimed.get_absolute_url()]
    texts = []
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        texts.append(response.text)

    # The page did show what the sponsor should read: its letter, without the transcription.
    assert any("谢谢您送给我的礼物" in text for text in texts)
    assert [leaked(text) for text in texts] == [[]] * len(pages)


def test_every_page_of_the_feed_carries_nothing_of_the_child(canary: Cast, client):
    url = f"{reverse('feed:wishes')}?limit=1"
    seen = []
    while url:
        response = client.get(url.removeprefix(settings.SITE_URL))
        assert response.status_code == 200
        document = json.loads(response.content)
        assert leaked(response.content.decode()) == []
        assert leaked(json.dumps(document, ensure_ascii=False)) == []
        seen += [wish["code"] for wish in document["wishes"]]
        url = document["next"]

    assert sorted(seen) == sorted([canary.wish.code, canary.hidden.code])


def _run_action(client, changelist: str, action: str, objects):
    return client.post(
        reverse(changelist),
        {
            "action": action,
            "index": "0",
            "select_across": "0",
            "_selected_action": [str(obj.pk) for obj in objects],
        },
    )


def test_wish_cards_carry_nothing_of_the_child(canary: Cast, client_for):
    wishes = [canary.wish, canary.hidden]

    response = _run_action(
        client_for("staff"), "admin:wishes_wish_changelist", "print_wish_cards", wishes
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert all(wish.code in text for wish in wishes), "the cards were printed"
    assert leaked(text) == []


def test_the_campaign_workbook_carries_nothing_of_the_child(canary: Cast, client_for):
    campaign = Wish.objects.get(pk=canary.fulfilled.pk).campaign
    Wish.objects.filter(pk__in=[canary.wish.pk, canary.hidden.pk, canary.claimed.pk]).update(
        campaign=campaign
    )

    response = _run_action(
        client_for("staff"), "admin:wishes_campaign_changelist", "export_campaign", [campaign]
    )

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    assert canary.fulfilled.code in cells, "the workbook holds the wishes"
    # Staff plan each school's event from the workbook, so it names the school (beside a
    # neutral alias, which names nobody); everything else stays out.
    schools = {test_privacy.PRIVATE_SCHOOL, test_privacy.HIDDEN_SCHOOL}
    assert [m for m in leaked("\n".join(cells)) if m not in schools] == []


def test_the_sponsors_certificate_carries_nothing_of_the_child(canary: Cast, client_for):
    sponsor = canary.fulfilled.claims.get().sponsor
    year = timezone.localdate().year

    response = client_for("staff").post(
        reverse("admin:sponsors_sponsor_changelist"),
        {
            "action": "thank_you_certificates",
            "index": "0",
            "select_across": "0",
            "_selected_action": [str(sponsor.pk)],
            "apply": "1",
            "year": str(year),
        },
    )

    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert leaked(pdf_text(response.content)) == []


def test_the_markers_are_really_recorded(canary: Cast):
    # Guards the tests above: each marker is in the database, where a leak could come from.
    child = Child.objects.get(wishes=canary.wish)
    assert child.private_words == MORE_MARKERS["private_words"]
    assert Consent.objects.filter(note=MORE_MARKERS["consent_note"]).exists()
    letter = Fulfilment.objects.get(claim__wish=canary.fulfilled).letters.get()
    assert MORE_MARKERS["transcription"] in letter.transcription
    assert Campaign.objects.exists()
