"""The campaign workbook streams: rows read in chunks, widths from a sample, same contents."""

import io

import pytest
from openpyxl import load_workbook

from tests.factories import CampaignFactory, ChildFactory, ClaimFactory, WishFactory
from wishes.models import ClaimStatus
from wishes.reports import exports

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of two rows and a sample of one, so a handful of rows spans several chunks."""
    monkeypatch.setattr(exports, "CHUNK_ROWS", 2)
    monkeypatch.setattr(exports, "SAMPLE_ROWS", 1)


def test_rows_past_the_first_chunk_are_written_and_masked(small_chunks):
    campaign = CampaignFactory(year=2026)
    names = ["王小明", "李小红", "张小刚", "赵小云", "陈小东"]
    aliases = ["小星同学", "小月同学", "小树同学", "小海同学", "小山同学"]
    for name, alias in zip(names, aliases, strict=True):
        child = ChildFactory(real_name=name, alias=alias)
        ClaimFactory(
            wish__campaign=campaign,
            wish__child=child,
            status=ClaimStatus.CANCELLED,
            cancel_reason=f"{name}已经有了",
        )

    data = exports.campaign_workbook_bytes(campaign)

    workbook = load_workbook(io.BytesIO(data))
    claims = workbook.worksheets[1]
    reasons = [row[9] for row in claims.iter_rows(min_row=2, values_only=True)]
    # Every chunk reads its own children to mask their names, each by its alias.
    assert reasons == [f"{alias}已经有了" for alias in aliases]
    assert claims.auto_filter.ref == "A1:J6"
    assert workbook.worksheets[0].max_row == 6
    assert workbook.worksheets[0].freeze_panes == "A2"


def test_widths_come_from_the_sample_and_stay_bounded(small_chunks):
    campaign = CampaignFactory(year=2026)
    WishFactory(open=True, campaign=campaign, public_text="短")
    WishFactory(open=True, campaign=campaign, public_text="很长" * 100)

    workbook = load_workbook(io.BytesIO(exports.campaign_workbook_bytes(campaign)))

    wishes = workbook.worksheets[0]
    texts = [row[5] for row in wishes.iter_rows(min_row=2, values_only=True)]
    assert sorted(texts, key=len) == ["短", "很长" * 100]
    width = wishes.column_dimensions["F"].width
    assert exports.MIN_COLUMN_WIDTH <= width <= exports.MAX_COLUMN_WIDTH + 2


def test_the_workbook_is_write_only_and_its_queries_grow_with_chunks_only(
    small_chunks, django_assert_max_num_queries
):
    campaign = CampaignFactory(year=2026)
    for _ in range(6):
        ClaimFactory(wish__campaign=campaign, status=ClaimStatus.CANCELLED, cancel_reason="改期")

    # wishes; claims; names for each of the 3 chunks of claims; fulfilments; sponsors.
    with django_assert_max_num_queries(7):
        workbook = exports.campaign_workbook(campaign)

    assert workbook.write_only
