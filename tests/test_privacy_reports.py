"""The canary (tests/test_privacy_canary.py) for what issue 13 added: the impact page's
downloads (CSV, .xlsx), the year's report (PDF) and the feedback, whose comment may speak of
the child. None of them may carry a child's private marker, nor the comment."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import UserFactory
from tests.test_privacy import Cast
from tests.test_privacy_canary import canary, cast, leaked, pdf_text  # noqa: F401 (fixtures)
from wishes.models import Claim, Feedback, FeedbackRole
from wishes.reports.impact_data import TABLE_KEYS

pytestmark = pytest.mark.django_db

COMMENT = "秘评语CMQ7"


@pytest.fixture
def rated(canary: Cast) -> Cast:  # noqa: F811
    """The marked cast, its fulfilled wish rated with a comment naming the child."""
    claim = Claim.objects.get(wish=canary.fulfilled)
    Feedback.objects.create(
        claim=claim,
        role=FeedbackRole.SPONSOR,
        rating=4,
        comment=f"{COMMENT}，{canary.fulfilled.child.real_name}很开心",
        given_by=UserFactory(),
    )
    return canary


def test_the_impact_downloads_carry_nothing_of_the_child(rated: Cast, client):
    texts = []
    for key in TABLE_KEYS:
        response = client.get(reverse("impact:csv", args=[key]))
        assert response.status_code == 200
        texts.append(response.content.decode("utf-8-sig"))
        list(csv.reader(io.StringIO(texts[-1])))
    workbook = load_workbook(io.BytesIO(client.get(reverse("impact:xlsx")).content))
    texts += [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    text = "\n".join(texts)

    assert "4.0" in text, "the rating is in the downloads"
    assert leaked(text) == []
    assert COMMENT not in text


def test_the_year_report_carries_nothing_of_the_child(rated: Cast, client_for):
    sponsor = Claim.objects.get(wish=rated.fulfilled).sponsor

    response = client_for("staff").get(
        reverse("impact:year_report"), {"year": timezone.localdate().year}
    )

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert sponsor.name in text, "the report thanks the sponsor"
    assert leaked(text) == []
    assert COMMENT not in text


def test_the_impact_page_shows_no_comment(rated: Cast, client):
    html = client.get(reverse("impact:index")).content.decode()

    assert leaked(html) == []
    assert COMMENT not in html
