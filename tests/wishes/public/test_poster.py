"""The campaign poster: an A4 picture and PDF with the campaign's numbers and its QR code."""

import datetime
import io

import pytest
import zxingcpp
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from tests.factories import CampaignFactory, WishFactory
from wishes.models import WishStatus
from wishes.public import poster

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = CampaignFactory(year=2026, drop_off_deadline=datetime.date(2026, 12, 20))
    for _ in range(3):
        WishFactory(open=True, campaign=campaign)
    WishFactory(open=True, campaign=campaign, status=WishStatus.FULFILLED)
    WishFactory(campaign=campaign)  # a draft: on no poster count
    return campaign


def test_the_poster_is_an_a4_picture_whose_qr_leads_to_the_campaigns_wishes(client, campaign):
    response = client.get(reverse("wishes:poster_image", args=[2026]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (1240, 1754)
    [code] = zxingcpp.read_barcodes(image.convert("RGB"))
    assert code.text == f"http://testserver/wishes/?campaign={campaign.pk}"
    # The QR's page lists exactly the campaign's waiting wishes.
    listed = client.get(code.text.removeprefix("http://testserver"))
    assert listed.context["page_obj"].paginator.count == 3


def test_the_poster_says_the_campaigns_numbers_and_deadline(campaign):
    with_deadline = poster.poster_text(campaign, "http://x/")
    assert "3" in with_deadline.waiting and "1" in with_deadline.fulfilled
    assert "2026" in with_deadline.drop_off

    campaign.drop_off_deadline = None
    assert poster.poster_text(campaign, "http://x/").drop_off == ""


def test_the_poster_is_drawn_again_when_a_number_changes(campaign, monkeypatch):
    drawn = []
    real = poster._png_bytes
    monkeypatch.setattr(poster, "_png_bytes", lambda text: drawn.append(text) or real(text))

    poster.campaign_poster_png(campaign, "http://x/")
    poster.campaign_poster_png(campaign, "http://x/")
    assert len(drawn) == 1
    WishFactory(open=True, campaign=campaign)
    poster.campaign_poster_png(campaign, "http://x/")
    assert len(drawn) == 2


def test_the_printable_poster_is_one_a4_page(client, campaign):
    response = client.get(reverse("wishes:poster_document", args=[2026]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    [page] = reader.pages
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width), round(height)) == (595, 842)
    assert len(page.images) == 1


def test_an_unknown_campaign_has_no_poster_and_nothing_but_reading_is_allowed(client, campaign):
    assert client.get(reverse("wishes:poster_image", args=[1999])).status_code == 404
    assert client.get(reverse("wishes:poster_document", args=[1999])).status_code == 404
    assert client.post(reverse("wishes:poster_image", args=[2026])).status_code == 405


def test_an_unchanged_poster_costs_a_304(client, campaign):
    url = reverse("wishes:poster_image", args=[2026])
    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_staff_find_the_poster_on_the_campaign_page_and_everyone_on_the_home_page(
    client_for, client, campaign
):
    page = client_for("staff").get(reverse("admin:wishes_campaign_change", args=[campaign.pk]))
    assert reverse("wishes:poster_document", args=[2026]) in page.content.decode()

    home = client.get("/").content.decode()
    assert reverse("wishes:poster_image", args=[2026]) in home
