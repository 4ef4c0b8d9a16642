"""Uploaded spreadsheets hold minors' data: the daily follow-up removes those of old imports."""

import datetime
import io
import logging
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import CampaignFactory
from tests.new_python import run_with_settings
from tests.wishes.importing.files import csv_bytes, good_row, xlsx_bytes
from wishes.audit import history_of
from wishes.claiming.follow_up import (
    _remove_import_file,
    follow_up_claims,
    remove_expired_import_files,
)
from wishes.importing import children as importing
from wishes.models import Child, ImportBatch, ImportStatus, StatusChange, Wish

pytestmark = pytest.mark.django_db

PROJECT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _retention_settings(settings):
    # Pinned, so that the tests do not depend on the default or the environment.
    settings.HUAMU_IMPORT_FILE_DAYS = 30


@pytest.fixture
def campaign(db):
    return CampaignFactory(year=2026)


@pytest.fixture
def make(school, campaign, staff):
    """Make a batch through the real upload, check and import, in the named status."""

    def make_batch(status: str, name: str = "名单.xlsx") -> ImportBatch:
        # A bad phone number makes the check fail; a good file passes it.
        row = good_row(guardian_phone="123") if status == ImportStatus.FAILED else good_row()
        batch = ImportBatch(original_name=name, campaign=campaign, created_by=staff)
        batch.file.save("import.xlsx", ContentFile(xlsx_bytes([row])), save=False)
        batch.save()
        if status != ImportStatus.UPLOADED:
            importing.check_batch(batch_id=batch.pk)
        if status == ImportStatus.IMPORTED:
            importing.begin_import(batch_id=batch.pk, by=staff)
            importing.import_batch(batch_id=batch.pk, by=staff)
        batch.refresh_from_db()
        assert batch.status == status
        return batch

    return make_batch


def days_ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def age(batch: ImportBatch, *, finished: float, uploaded: float | None = None) -> ImportBatch:
    """Move a batch's upload and its history back, as if it had finished `finished` days ago."""
    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=days_ago(uploaded if uploaded is not None else finished + 1)
    )
    history_of(batch).update(at=days_ago(finished))
    batch.refresh_from_db()
    return batch


def stored_path(batch: ImportBatch) -> Path:
    return Path(batch.file.path)


def run() -> tuple[str, str]:
    """Run the daily command as cron does; return what it wrote to stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("follow_up_claims", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def removed_ids() -> set[int]:
    return set(
        ImportBatch.objects.filter(file_removed_at__isnull=False).values_list("pk", flat=True)
    )


# --- what is removed, what is kept --------------------------------------------------------------


def test_old_finished_batches_lose_their_file_and_keep_their_report(make):
    imported = age(make(ImportStatus.IMPORTED), finished=31)
    failed = age(make(ImportStatus.FAILED, name="错误.xlsx"), finished=31)
    files = [stored_path(imported), stored_path(failed)]
    before = {
        b.pk: (b.status, b.original_name, b.rows_total, b.problems, b.summary)
        for b in (imported, failed)
    }
    assert all(path.is_file() for path in files)

    summary = follow_up_claims()

    assert summary.import_files_removed == 2
    assert not any(path.exists() for path in files)
    for batch in (imported, failed):
        batch.refresh_from_db()
        assert batch.file_removed_at is not None
        assert abs(batch.file_removed_at - timezone.now()) < datetime.timedelta(minutes=1)
        assert not batch.file
        # The record of the import is untouched: status, file name, counts, problems, preview.
        assert (
            batch.status,
            batch.original_name,
            batch.rows_total,
            batch.problems,
            batch.summary,
        ) == before[batch.pk]
    assert failed.problems and imported.summary["imported"]["children_new"] == 1
    # What the import created stays too.
    assert Child.objects.count() == 1
    assert Wish.objects.count() == 1


def test_removing_a_file_is_written_to_the_batchs_history(make):
    batch = age(make(ImportStatus.IMPORTED), finished=31)
    before = [(c.pk, c.from_status, c.to_status) for c in history_of(batch)]

    with translation.override("en"):
        follow_up_claims()

    changes = list(history_of(batch))
    assert [(c.pk, c.from_status, c.to_status) for c in changes[:-1]] == before
    last = changes[-1]
    # The status stays; the note says what happened to the file and why.
    assert (last.from_status, last.to_status, last.by) == ("imported", "imported", None)
    assert last.note == "Uploaded file removed: finished imports keep their file 30 days."
    assert abs(last.at - timezone.now()) < datetime.timedelta(minutes=1)


def test_recent_and_unfinished_batches_keep_their_file(make):
    recent = age(make(ImportStatus.IMPORTED), finished=29, uploaded=100)
    # Checked, waiting to be imported: the import reads the file again.
    waiting = age(make(ImportStatus.CHECKED), finished=100)
    importing_now = make(ImportStatus.CHECKED)
    importing.begin_import(batch_id=importing_now.pk, by=importing_now.created_by)
    importing_now = age(importing_now, finished=100)
    # Uploaded, its check not run yet (a worker that is down).
    unchecked = age(make(ImportStatus.UPLOADED), finished=100)
    kept = [recent, waiting, importing_now, unchecked]

    summary = follow_up_claims()

    assert summary.import_files_removed == 0
    assert removed_ids() == set()
    for batch in kept:
        batch.refresh_from_db()
        assert batch.file_removed_at is None
        assert stored_path(batch).is_file()


def test_the_time_counts_from_the_finish_not_the_upload(make):
    # Uploaded long ago, checked and failed only 10 days ago: kept.
    late_finish = age(make(ImportStatus.FAILED), finished=10, uploaded=90)
    # A finished batch without a history (made before the audit trail): its upload counts.
    no_history = age(make(ImportStatus.IMPORTED), finished=31)
    history_of(no_history).delete()

    follow_up_claims()

    assert removed_ids() == {no_history.pk}
    assert stored_path(late_finish).is_file()


def test_the_number_of_days_follows_the_setting(make, settings):
    settings.HUAMU_IMPORT_FILE_DAYS = 7
    old = age(make(ImportStatus.IMPORTED), finished=8)
    young = age(make(ImportStatus.FAILED), finished=6)

    follow_up_claims()

    assert removed_ids() == {old.pk}
    assert stored_path(young).is_file()


def test_zero_days_keeps_every_file(make, settings):
    settings.HUAMU_IMPORT_FILE_DAYS = 0
    batches = [
        age(make(ImportStatus.IMPORTED), finished=3000),
        age(make(ImportStatus.FAILED), finished=3000),
    ]

    out, _err = run()

    assert removed_ids() == set()
    assert all(stored_path(batch).is_file() for batch in batches)
    assert "Import files removed: none, they are kept for ever." in out


# --- failures -----------------------------------------------------------------------------------


def test_a_file_already_gone_is_not_an_error(make):
    batch = age(make(ImportStatus.IMPORTED), finished=31)
    stored_path(batch).unlink()

    out, err = run()

    batch.refresh_from_db()
    assert batch.file_removed_at is not None
    assert "Import files removed (kept 30 days after the import): 1." in out
    assert err == ""


def test_a_storage_that_says_the_file_is_gone_is_not_an_error(make, monkeypatch):
    # The file-system storage ignores a missing file itself; other storages may raise.
    batch = age(make(ImportStatus.IMPORTED), finished=31)
    path = stored_path(batch)

    def delete(storage, name):
        raise FileNotFoundError(2, "No such file", name)

    monkeypatch.setattr(FileSystemStorage, "delete", delete)

    out, err = run()

    batch.refresh_from_db()
    assert batch.file_removed_at is not None
    assert not batch.file
    assert path.is_file()  # the storage was told; this fake one only said it was gone
    assert "Import files removed (kept 30 days after the import): 1." in out
    assert err == ""


def test_a_storage_error_on_one_batch_does_not_stop_the_others(make, monkeypatch, caplog):
    stuck, other = (age(make(ImportStatus.IMPORTED), finished=31) for _ in range(2))
    stuck_name, stuck_path, other_path = stuck.file.name, stored_path(stuck), stored_path(other)
    stuck_history = history_of(stuck).count()
    original_delete = FileSystemStorage.delete

    def delete(storage, name):
        if name == stuck_name:
            raise PermissionError(13, "Permission denied", name)
        return original_delete(storage, name)

    monkeypatch.setattr(FileSystemStorage, "delete", delete)

    with caplog.at_level(logging.ERROR, logger="wishes.claiming.follow_up"):
        out, err = run()

    stuck.refresh_from_db()
    other.refresh_from_db()
    assert other.file_removed_at is not None
    assert not other_path.exists()
    # The refused one is left as it was, to be tried again by the next run.
    assert stuck.file_removed_at is None
    assert stuck.file.name == stuck_name
    assert stuck_path.is_file()
    assert history_of(stuck).count() == stuck_history
    assert f"import batch {stuck.pk}" in caplog.text
    assert "Import files removed (kept 30 days after the import): 1." in out
    assert "Import files that could not be removed (see the log): 1." in err

    monkeypatch.setattr(FileSystemStorage, "delete", original_delete)
    out, err = run()

    stuck.refresh_from_db()
    assert stuck.file_removed_at is not None
    assert not stuck_path.exists()
    assert "Import files removed (kept 30 days after the import): 1." in out
    assert err == ""


def test_running_twice_changes_nothing_the_second_time(make):
    batches = [age(make(ImportStatus.IMPORTED), finished=31) for _ in range(2)]
    run()
    after_first = list(
        ImportBatch.objects.order_by("pk").values("pk", "file", "file_removed_at", "updated_at")
    )
    history_rows = StatusChange.objects.count()

    out, _err = run()

    assert (
        list(
            ImportBatch.objects.order_by("pk").values(
                "pk", "file", "file_removed_at", "updated_at"
            )
        )
        == after_first
    )
    assert StatusChange.objects.count() == history_rows
    assert {row["pk"] for row in after_first} == {batch.pk for batch in batches}
    assert "Import files removed (kept 30 days after the import): 0." in out


def test_the_command_says_how_many_import_files_it_removed(make):
    for _ in range(3):
        age(make(ImportStatus.IMPORTED), finished=31)
    make(ImportStatus.IMPORTED)

    out, err = run()

    assert "Import files removed (kept 30 days after the import): 3." in out
    assert err == ""


def test_a_batch_is_checked_again_under_its_lock(make):
    # Another run may remove the file between the list of old batches and the lock.
    removed = age(make(ImportStatus.IMPORTED), finished=31)
    follow_up_claims()
    removed.refresh_from_db()
    when = removed.file_removed_at
    waiting = age(make(ImportStatus.CHECKED), finished=100)
    history = StatusChange.objects.count()

    assert _remove_import_file(removed.pk, 30) is None
    assert _remove_import_file(waiting.pk, 30) is None

    removed.refresh_from_db()
    assert removed.file_removed_at == when
    assert StatusChange.objects.count() == history
    assert stored_path(waiting).is_file()


def test_the_removal_returns_the_batches_it_did(make):
    old = age(make(ImportStatus.FAILED), finished=40)

    result = remove_expired_import_files()

    assert (result.removed, result.failed) == ([old.pk], [])
    assert remove_expired_import_files().removed == []


# --- the pages ----------------------------------------------------------------------------------


def test_the_preview_says_the_file_was_removed_instead_of_linking_it(make, client_for):
    batch = age(make(ImportStatus.IMPORTED), finished=31, uploaded=32)
    file_url = reverse("admin:wishes_importbatch_file", args=[batch.pk])
    preview_url = reverse("admin:wishes_importbatch_preview", args=[batch.pk])
    client = client_for("staff")
    assert file_url in client.get(preview_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    follow_up_claims()

    page = client.get(preview_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    today = timezone.localdate().isoformat()
    assert file_url not in page
    assert f"File removed on {today}, 32 days after upload." in page
    assert batch.original_name in page
    # The report stays on the page.
    assert 'id="import-result"' in page
    assert client.get(file_url).status_code == 404


def test_the_preview_says_it_in_chinese_by_default(make, client_for):
    batch = age(make(ImportStatus.IMPORTED), finished=31, uploaded=32)
    follow_up_claims()

    page = client_for("staff").get(reverse("admin:wishes_importbatch_preview", args=[batch.pk]))

    with translation.override("zh-hans"):
        note = ImportBatch.objects.get(pk=batch.pk).file_removed_note
    assert note and note in page.content.decode()


def test_a_kept_file_has_no_removal_note(make):
    assert make(ImportStatus.IMPORTED).file_removed_note == ""


def test_a_kept_file_can_still_be_downloaded(make, client_for):
    batch = age(make(ImportStatus.IMPORTED), finished=29)
    follow_up_claims()

    response = client_for("staff").get(reverse("admin:wishes_importbatch_file", args=[batch.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored_path(batch).read_bytes()


# --- the setting --------------------------------------------------------------------------------


def setting_in_a_new_python(**env: str) -> str:
    """HUAMU_IMPORT_FILE_DAYS as the settings read it from the environment."""
    result = run_with_settings(
        "from django.conf import settings; print(settings.HUAMU_IMPORT_FILE_DAYS)",
        without={"IMPORT_FILE_DAYS"},
        DEBUG="true",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_setting_defaults_to_30_days_and_reads_import_file_days():
    assert setting_in_a_new_python() == "30"
    assert setting_in_a_new_python(IMPORT_FILE_DAYS="0") == "0"


def test_a_csv_batch_loses_its_file_too(school, campaign, staff):
    batch = ImportBatch(original_name="名单.csv", campaign=campaign, created_by=staff)
    batch.file.save("import.csv", ContentFile(csv_bytes([good_row(guardian_phone="1")])))
    importing.check_batch(batch_id=batch.pk)
    batch = age(batch, finished=31)
    path = stored_path(batch)

    follow_up_claims()

    assert not path.exists()
    assert removed_ids() == {batch.pk}
