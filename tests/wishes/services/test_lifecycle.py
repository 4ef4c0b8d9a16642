"""The end of a child's data: anonymisation keeps the numbers and leaves nothing private,
in any table or in storage; the retention rule's boundaries; idempotence; erasures again
after a restore."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from huamu.errors import TransitionError
from tests.factories import (
    ChildFactory,
    ClaimFactory,
    ConsentFactory,
    FulfilmentFactory,
    FulfilmentPhotoFactory,
    ImportBatchFactory,
    SponsorFactory,
    ThankYouLetterFactory,
    WishFactory,
)
from wishes.audit import record_change
from wishes.models import (
    AccessLog,
    Child,
    ChildState,
    Claim,
    ClaimStatus,
    Consent,
    ConsentState,
    FulfilmentPhoto,
    GradeBand,
    ImportBatch,
    ImportStatus,
    PublicLocation,
    StatusChange,
    ThankYouLetter,
    Wish,
    WishStatus,
)
from wishes.reports.impact import impact_figures
from wishes.services import (
    anonymise_child,
    anonymise_expired,
    delete_history,
    erase_child,
    expired_children,
    reapply_erasures,
)
from wishes.services.lifecycle import erased_child_ids, months_before

pytestmark = pytest.mark.django_db

# One marker per private field; none is a substring of another or of anything kept.
MARKERS = {
    "real_name": "甄秘名LCQ1",
    "class_name": "秘班LCQ2",
    "address": "秘路LCQ3弄",
    "guardian_name": "秘监护LCQ4",
    "guardian_phone": "13987650999",
    "hardship_note": "秘困难LCQ5",
    "private_words": "秘昵称LCQ6",
    "child_words": "秘心声LCQ7",
    "draft_text": "秘草稿LCQ8",
    "given_by": "秘签字LCQ9",
    "consent_note": "秘同意备注LCR1",
    "fulfilment_note": "秘圆梦备注LCR2",
    "transcription": "秘感谢信LCR3",
    "shared_text": "秘转交LCR4",
    "review_note": "秘审核LCR5",
}
PUBLIC_TEXT = "想要一台天文望远镜，看星星。"


def _text_of_every_table() -> str:
    """Every value of every row of every table in the database, as text."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            parts += [str(value) for row in cursor.fetchall() for value in row]
    return "\n".join(parts)


def _stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def _fulfilled_wish(child: Child, *, closed_at: datetime.datetime | None = None) -> Wish:
    published = timezone.now() - datetime.timedelta(days=40)
    wish = WishFactory(
        child=child,
        status=WishStatus.FULFILLED,
        public_text=PUBLIC_TEXT,
        published_at=published,
        estimated_value=Decimal("260.00"),
    )
    claim = ClaimFactory(wish=wish, status=ClaimStatus.FULFILLED)
    FulfilmentFactory(claim=claim, fulfilled_on=timezone.localdate())
    change = record_change(
        subject=wish, from_status=WishStatus.CLAIMED, to_status=WishStatus.FULFILLED, by=None
    )
    if closed_at is not None:
        StatusChange.objects.filter(pk=change.pk).update(at=closed_at)
        Wish.objects.filter(pk=wish.pk).update(updated_at=closed_at)
    return wish


@pytest.fixture
def marked(db):
    """A child with a marker in every private field of its record and everything about it:
    consent, a fulfilled wish with photo and letter, a withdrawn draft, an audit note, an
    import whose file name and spreadsheet hold the name."""
    child = ChildFactory(
        real_name=MARKERS["real_name"],
        alias="小星同学",
        birth_year=2017,
        grade=4,
        class_name=MARKERS["class_name"],
        address=MARKERS["address"],
        guardian_name=MARKERS["guardian_name"],
        guardian_phone=MARKERS["guardian_phone"],
        hardship_note=MARKERS["hardship_note"],
        private_words=MARKERS["private_words"],
        public_location=PublicLocation.SCHOOL,
    )
    ConsentFactory(child=child, given_by=MARKERS["given_by"], note=MARKERS["consent_note"])
    wish = _fulfilled_wish(child)
    Wish.objects.filter(pk=wish.pk).update(child_words=MARKERS["child_words"])
    fulfilment = wish.claims.get().fulfilment
    fulfilment.note = MARKERS["fulfilment_note"]
    fulfilment.save()
    FulfilmentPhotoFactory(fulfilment=fulfilment)
    letter = ThankYouLetterFactory(
        fulfilment=fulfilment,
        scanned=True,
        approved=True,
        transcription=MARKERS["transcription"],
        shared_text=MARKERS["shared_text"],
        review_note=MARKERS["review_note"],
    )
    letter.preview.save("preview.jpg", ContentFile(b"preview"), save=True)
    withdrawn = WishFactory(
        child=child,
        status=WishStatus.WITHDRAWN,
        child_words=MARKERS["child_words"] + "又一个",
        public_text=MARKERS["draft_text"],
    )
    record_change(
        subject=withdrawn,
        from_status=WishStatus.DRAFT,
        to_status=WishStatus.WITHDRAWN,
        by=None,
        note=f"{MARKERS['real_name']}的家长改主意了",
    )
    ImportBatchFactory(
        original_name=f"{MARKERS['real_name']}名单.csv",
        status=ImportStatus.IMPORTED,
        file=ContentFile(f"姓名,学校\n{MARKERS['real_name']},学校1\n".encode(), "a.csv"),
    )
    return child


def _erase(child: Child, by=None, reason: str = "监护人于3月3日来电要求删除") -> Child:
    return erase_child(child_id=child.pk, by=by, reason=reason)


def test_erasure_leaves_no_private_value_in_any_table(
    marked, client_for, django_capture_on_commit_callbacks
):
    # The child's pages were read: the access log holds rows about it.
    client = client_for("staff")
    client.get(reverse("admin:wishes_child_change", args=[marked.pk]))
    client.get(reverse("admin:wishes_child_changelist"))
    before = _text_of_every_table()
    assert all(marker in before for marker in MARKERS.values())

    with django_capture_on_commit_callbacks(execute=True):
        _erase(marked)

    after = _text_of_every_table()
    assert [marker for marker in MARKERS.values() if marker in after] == []
    # The given name alone and the name's pinyin are gone too.
    assert MARKERS["real_name"][1:] not in after
    # The access log stays, naming children by id only.
    assert AccessLog.objects.filter(children=marked).count() == 2


def test_erasure_leaves_no_file_of_the_child_in_storage(
    marked, settings, django_capture_on_commit_callbacks
):
    other = FulfilmentPhotoFactory()
    # The child's photo and thumbnail, scan, preview and import; the other photo's two.
    assert len(_stored_files(settings)) == 7
    other_files = {Path(other.image.path), Path(other.thumbnail.path)}

    with django_capture_on_commit_callbacks(execute=True):
        _erase(marked)

    assert set(_stored_files(settings)) == other_files
    assert not ThankYouLetter.objects.filter(fulfilment__claim__wish__child=marked).exists()
    assert not FulfilmentPhoto.objects.filter(fulfilment__claim__wish__child=marked).exists()
    batch = ImportBatch.objects.get()
    assert batch.file_removed_at is not None
    assert not batch.file


def test_files_stay_when_the_transaction_fails(marked, settings, monkeypatch):
    files = _stored_files(settings)

    def fail(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("wishes.services.lifecycle.record_change", fail)
    with pytest.raises(RuntimeError):
        _erase(marked)

    assert _stored_files(settings) == files
    marked.refresh_from_db()
    assert marked.anonymised_at is None
    assert marked.real_name == MARKERS["real_name"]


def test_impact_numbers_are_identical_before_and_after(marked, client, db):
    # A second child, untouched, and an open wish of a third: the page has more than one.
    _fulfilled_wish(ChildFactory())
    WishFactory(open=True)
    figures = impact_figures()
    page = client.get(reverse("impact:index")).context["impact"]

    _erase(marked)

    assert impact_figures() == figures
    assert client.get(reverse("impact:index")).context["impact"] == page
    assert figures.total_fulfilled >= 2


def test_what_is_kept_and_what_is_neutral(marked):
    wish = marked.wishes.get(status=WishStatus.FULFILLED)
    school, region = marked.school, marked.home_region

    child = _erase(marked)

    child.refresh_from_db()
    assert child.anonymised_at is not None
    assert child.real_name == child.alias == "小星同学"
    assert (child.school, child.home_region) == (school, region)
    assert child.grade_band == GradeBand.MIDDLE
    assert (child.grade, child.birth_year) == (3, 2015)
    assert child.public_location == PublicLocation.REGION
    assert child.guardian_phone == child.guardian_name == child.address == ""
    wish.refresh_from_db()
    assert wish.child_words == ""
    assert wish.public_text == PUBLIC_TEXT
    assert (wish.status, wish.category, wish.estimated_value) == (
        WishStatus.FULFILLED,
        wish.category,
        Decimal("260.00"),
    )
    assert marked.wishes.get(status=WishStatus.WITHDRAWN).public_text == ""
    consents = Consent.objects.filter(child=child)
    assert consents.exists()
    for consent in consents:
        assert consent.withdrawn_at is not None
        assert (consent.given_by, consent.note) == ("", "")
        assert history_states(consent) == [ConsentState.WITHDRAWN]


def history_states(subject) -> list[str]:
    return list(
        StatusChange.objects.filter(
            content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk
        ).values_list("to_status", flat=True)
    )


def test_an_alias_holding_the_surname_is_replaced(db):
    child = ChildFactory(real_name="王小美", alias="小王同学")

    child = _erase(child)

    assert "王" not in child.alias
    assert child.real_name == child.alias


def test_the_audit_row_says_who_and_why_not_what(marked, staff):
    _erase(marked, by=staff, reason="监护人书面申请，3月3日")

    change = StatusChange.objects.get(
        content_type=ContentType.objects.get_for_model(Child), object_id=marked.pk
    )
    assert (change.from_status, change.to_status) == (ChildState.KEPT, ChildState.ERASED)
    assert change.by == staff
    assert change.note == "监护人书面申请，3月3日"


def test_a_reason_naming_the_child_is_refused_and_changes_nothing(marked):
    with pytest.raises(TransitionError):
        _erase(marked, reason=f"{MARKERS['real_name']}的家长要求")

    marked.refresh_from_db()
    assert marked.anonymised_at is None
    assert marked.guardian_phone == MARKERS["guardian_phone"]


def test_an_empty_reason_is_refused(marked):
    with pytest.raises(TransitionError):
        _erase(marked, reason="  ")
    marked.refresh_from_db()
    assert marked.anonymised_at is None


def test_erasing_twice_is_refused(marked):
    _erase(marked)
    with translation.override("en"), pytest.raises(TransitionError, match="already"):
        _erase(marked)


def test_erasure_withdraws_open_wishes_and_cancels_their_claim(db):
    claim = ClaimFactory(wish__open=True, sponsor=SponsorFactory(verified=True))
    child = claim.wish.child

    _erase(child)

    claim.refresh_from_db()
    claim.wish.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED
    assert claim.wish.status == WishStatus.WITHDRAWN
    assert child.real_name not in claim.cancel_reason


def test_history_rows_are_deleted_when_the_model_keeps_them(db, monkeypatch):
    class FakeHistory:
        def __init__(self) -> None:
            self.filtered: dict = {}

        def filter(self, **where):
            self.filtered = where
            return self

        def delete(self) -> tuple[int, dict]:
            return 3, {}

    history = FakeHistory()
    monkeypatch.setattr(Child, "history", history, raising=False)

    assert delete_history(Child, [5, 7]) == 3
    assert history.filtered == {"id__in": [5, 7]}
    # Without a history manager (before django-simple-history) nothing happens.
    assert delete_history(Consent, [5]) == 0


def _closed(months: int, *, days: int = 0) -> Child:
    child = ChildFactory()
    moment = months_before(timezone.now(), months) - datetime.timedelta(days=days)
    _fulfilled_wish(child, closed_at=moment)
    Child.objects.filter(pk=child.pk).update(created_at=moment - datetime.timedelta(days=30))
    return child


def test_retention_boundaries(settings):
    settings.HUAMU_CHILD_DATA_MONTHS = 24
    old = _closed(25)
    recent = _closed(23)
    just_over = _closed(24, days=1)

    assert set(expired_children()) == {old, just_over}
    assert recent not in expired_children()


def test_an_open_wish_keeps_the_child(settings):
    child = _closed(30)
    WishFactory(child=child, open=True)
    Child.objects.filter(pk=child.pk).update(created_at=months_before(timezone.now(), 40))

    assert child not in expired_children()


def test_a_draft_keeps_the_child_unless_it_was_withdrawn_long_ago():
    child = ChildFactory()
    WishFactory(child=child)
    long_ago = months_before(timezone.now(), 25)
    Child.objects.filter(pk=child.pk).update(created_at=long_ago)
    assert child not in expired_children()

    Child.objects.filter(pk=child.pk).update(withdrawn_at=long_ago)
    assert child in expired_children()
    Child.objects.filter(pk=child.pk).update(withdrawn_at=months_before(timezone.now(), 23))
    assert child not in expired_children()


def test_a_child_without_wishes_counts_from_its_record():
    old, new = ChildFactory(), ChildFactory()
    Child.objects.filter(pk=old.pk).update(created_at=months_before(timezone.now(), 25))

    assert list(expired_children()) == [old]
    assert new not in expired_children()


def test_the_setting_moves_the_boundary(settings):
    child = _closed(13)
    settings.HUAMU_CHILD_DATA_MONTHS = 12
    assert child in expired_children()
    settings.HUAMU_CHILD_DATA_MONTHS = 24
    assert child not in expired_children()


def test_months_before_keeps_the_day_where_the_month_has_it():
    at = datetime.datetime(2026, 3, 31, 10, tzinfo=datetime.UTC)
    assert months_before(at, 1) == datetime.datetime(2026, 2, 28, 10, tzinfo=datetime.UTC)
    assert months_before(at, 24) == datetime.datetime(2024, 3, 31, 10, tzinfo=datetime.UTC)
    assert months_before(at, 15).date() == datetime.date(2024, 12, 31)


def test_the_daily_run_anonymises_the_due_once():
    due = _closed(25)
    kept = _closed(2)

    first = anonymise_expired()
    second = anonymise_expired()

    assert (first.due, first.anonymised) == (1, 1)
    assert (second.due, second.anonymised) == (0, 0)
    due.refresh_from_db()
    kept.refresh_from_db()
    assert due.anonymised_at is not None
    assert kept.anonymised_at is None
    assert history_states(due) == [ChildState.ANONYMISED]
    # A retention run is not an erasure: nothing to apply again after a restore.
    assert erased_child_ids() == set()


def test_a_child_anonymised_meanwhile_is_skipped(monkeypatch):
    due = _closed(25)
    real = expired_children
    calls = []

    def listed_before_the_other_run(now=None):
        # The first call reads the list; then another run anonymises the child.
        calls.append(now)
        if len(calls) == 1:
            listed = list(real(now))
            anonymise_child(child_id=due.pk, by=None, reason="x", kind=ChildState.ANONYMISED)
            return Child.objects.filter(pk__in=[child.pk for child in listed])
        return real(now)

    monkeypatch.setattr("wishes.services.lifecycle.expired_children", listed_before_the_other_run)
    run = anonymise_expired()

    assert (run.due, run.anonymised, run.skipped) == (1, 0, 1)
    assert history_states(due) == [ChildState.ANONYMISED]


def test_command_counts_and_dry_run_changes_nothing(capsys):
    due = _closed(25)
    translation.activate("en")

    call_command("anonymise_expired", "--dry-run")
    out = capsys.readouterr().out
    due.refresh_from_db()
    assert due.anonymised_at is None
    assert out == "Children due for anonymisation (kept 24 months): 1.\n"

    call_command("anonymise_expired")
    assert capsys.readouterr().out == "Children anonymised (kept 24 months): 1.\n"
    call_command("anonymise_expired")
    assert capsys.readouterr().out == "Children anonymised (kept 24 months): 0.\n"


def _restore_old_copy(child: Child) -> None:
    """What a restored backup from before the erasure holds: the child's data again."""
    Child.objects.filter(pk=child.pk).update(
        real_name=MARKERS["real_name"],
        guardian_phone=MARKERS["guardian_phone"],
        anonymised_at=None,
    )


def test_erasures_are_applied_again_after_a_restore(
    marked, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _erase(marked)
    _restore_old_copy(marked)
    # The backup is older than the erasure: its audit row is not in it either; the
    # erasure log outside the database still names the child.
    StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Child), object_id=marked.pk
    ).delete()
    assert erased_child_ids() == {marked.pk}

    call_command("anonymise_expired", "--reapply-erasures", "--dry-run")
    assert f"#{marked.pk}" in capsys.readouterr().out
    marked.refresh_from_db()
    assert marked.anonymised_at is None

    with django_capture_on_commit_callbacks(execute=True):
        call_command("anonymise_expired", "--reapply-erasures")
    assert f"#{marked.pk}" in capsys.readouterr().out
    marked.refresh_from_db()
    assert marked.anonymised_at is not None
    assert marked.guardian_phone == ""
    assert history_states(marked) == [ChildState.ERASED]
    # Applying again finds nothing left to do.
    assert reapply_erasures() == []


def test_erasures_from_the_audit_trail_alone_are_applied_again(marked, settings):
    _erase(marked)  # no commit callbacks here: the erasure log is not written
    _restore_old_copy(marked)
    assert not Path(settings.HUAMU_ERASURE_LOG).exists()

    assert reapply_erasures() == [marked.pk]

    marked.refresh_from_db()
    assert marked.anonymised_at is not None


def test_the_erasure_log_holds_ids_only(marked, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _erase(marked)

    text = Path(settings.HUAMU_ERASURE_LOG).read_text(encoding="utf-8")
    assert text.startswith(f"{marked.pk}\t")
    assert all(marker not in text for marker in MARKERS.values())


def test_claims_of_other_children_are_untouched(marked):
    other = ClaimFactory(status=ClaimStatus.CANCELLED, cancel_reason="改期")
    _erase(marked)
    assert Claim.objects.get(pk=other.pk).cancel_reason == "改期"
