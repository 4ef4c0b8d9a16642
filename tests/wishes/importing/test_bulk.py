"""A large import costs a few queries per batch of rows, never some per row."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CampaignFactory
from tests.wishes.importing.files import good_row, xlsx_bytes
from tests.wishes.importing.test_import import stored_batch
from wishes.audit import history_of
from wishes.importing import children as importing
from wishes.models import Child, Consent, ImportBatch, ImportStatus, StatusChange, Wish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _content_types_cached():
    # The audit trail's content types, as a running server has them cached: the counts
    # below are then the same whichever test filled the cache first.
    for model in (ImportBatch, Child, Consent, Wish):
        ContentType.objects.get_for_model(model)


def new_children(count: int, prefix: str) -> list[dict]:
    """`count` rows of children nobody has recorded yet (names start with `prefix`)."""
    return [
        good_row(real_name=f"{prefix}{number:04d}", guardian_phone=f"138{number:08d}")
        for number in range(count)
    ]


def _queries_of_check_and_import(rows: int, by, prefix: str) -> tuple[int, int]:
    campaign = CampaignFactory()
    data = xlsx_bytes(new_children(rows, prefix))
    batch = stored_batch(data, "many.xlsx", campaign, by)
    with CaptureQueriesContext(connection) as check:
        importing.check_batch(batch_id=batch.pk)
    importing.begin_import(batch_id=batch.pk, by=by)
    with CaptureQueriesContext(connection) as run:
        batch = importing.import_batch(batch_id=batch.pk, by=by)
    assert batch.status == ImportStatus.IMPORTED
    return len(check), len(run)


def test_queries_do_not_grow_with_the_rows_of_a_batch(school, staff):
    few = _queries_of_check_and_import(50, staff, "李同学")

    many = _queries_of_check_and_import(500, staff, "王同学")

    # Progress is written at most about twenty-five times a pass whatever the size; the
    # rest is a few queries per batch of 500 rows.
    assert many[0] <= few[0] < 40
    assert many[1] <= few[1] < 60


def test_more_batches_cost_only_their_own_few_queries(school, staff, monkeypatch):
    one = _queries_of_check_and_import(40, staff, "李同学")
    monkeypatch.setattr(importing, "IMPORT_BATCH_ROWS", 10)

    four = _queries_of_check_and_import(40, staff, "王同学")

    # Each extra batch: children and consents with their history rows, wishes, their codes,
    # three audit inserts, the new wishes' running totals (read them, insert the rows).
    assert four[0] == one[0]
    assert 3 * 5 <= four[1] - one[1] <= 3 * 12


def test_bulk_import_keeps_codes_history_and_audit_rows(school, staff):
    campaign = CampaignFactory(year=2026)
    batch = stored_batch(xlsx_bytes(new_children(3, "张同学")), "three.xlsx", campaign, staff)
    importing.check_batch(batch_id=batch.pk)
    importing.begin_import(batch_id=batch.pk, by=staff)

    importing.import_batch(batch_id=batch.pk, by=staff)

    wishes = list(Wish.objects.order_by("pk"))
    assert [w.code for w in wishes] == [f"HM2026-{w.pk:05d}" for w in wishes]
    # The codes are written with their search tokens: staff find an imported wish by code.
    assert [w.search_text for w in wishes] == [w.searchable_tokens() for w in wishes]
    assert not Wish.objects.filter(code__startswith="~").exists()
    for child in Child.objects.all():
        (created,) = child.history.all()
        assert created.history_type == "+"
        assert created.history_user == staff
        assert [c.to_status for c in history_of(child)] == ["kept"]
    for consent in Consent.objects.all():
        assert consent.valid_until is not None
        assert consent.history.get().history_user == staff
    assert StatusChange.objects.filter(by=staff, note__contains="three.xlsx").count() == 9


def test_ten_and_thirty_rows_cost_the_same_queries(school, staff, monkeypatch):
    # Progress is written about twenty times a pass, so every row in files this small (the
    # test above counts it): left out here, so that only the rows could make a difference.
    monkeypatch.setattr(importing._Progress, "__call__", lambda self, done: None)

    ten = _queries_of_check_and_import(10, staff, "李同学")
    thirty = _queries_of_check_and_import(30, staff, "王同学")

    # One batch of rows each: the same reads and bulk inserts, whatever the number of rows.
    assert ten == thirty
