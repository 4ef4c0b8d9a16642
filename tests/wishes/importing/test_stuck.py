"""A check or an import left by a worker that died: shown as stuck, started again by staff."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.factories import CampaignFactory
from tests.wishes.importing.files import many_rows, xlsx_bytes
from tests.wishes.importing.test_import import stored_batch
from wishes.audit import history_of
from wishes.importing import children as importing
from wishes.models import Child, ImportBatch, ImportStatus, StatusChange

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _stuck_after(settings):
    settings.HUAMU_STUCK_TASK_MINUTES = 15


@pytest.fixture
def campaign(db):
    return CampaignFactory(year=2026)


def left_for(batch: ImportBatch, minutes: int) -> ImportBatch:
    # As if the worker's last progress write was this long ago (auto_now only moves on save).
    ImportBatch.objects.filter(pk=batch.pk).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )
    batch.refresh_from_db()
    return batch


@pytest.fixture
def checking(school, campaign, staff) -> ImportBatch:
    """A batch whose check a worker took and never finished."""
    return left_for(stored_batch(xlsx_bytes(many_rows(2)), "a.xlsx", campaign, staff), 20)


@pytest.fixture
def importing_batch(school, campaign, staff) -> ImportBatch:
    """A checked batch whose import was started and whose worker died."""
    batch = importing.check_batch(
        batch_id=stored_batch(xlsx_bytes(many_rows(2)), "a.xlsx", campaign, staff).pk
    )
    importing.begin_import(batch_id=batch.pk, by=staff)
    return left_for(batch, 20)


def preview(client, batch: ImportBatch) -> str:
    url = reverse("admin:wishes_importbatch_preview", args=[batch.pk])
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def restarts(batch: ImportBatch) -> list[StatusChange]:
    """The batch's history rows that started it again (the status stays as it was)."""
    return [row for row in history_of(batch) if row.from_status == row.to_status]


def restart_url(batch: ImportBatch) -> str:
    return reverse("admin:wishes_importbatch_restart", args=[batch.pk])


def test_a_stuck_check_stops_reloading_and_offers_to_start_again(client_for, checking):
    page = preview(client_for("staff"), checking)

    assert "the task worker may have stopped" in page
    assert restart_url(checking) in page
    assert 'http-equiv="refresh"' not in page


def test_a_check_with_recent_progress_is_not_stuck(client_for, checking):
    batch = left_for(checking, 5)

    page = preview(client_for("staff"), batch)

    assert restart_url(batch) not in page
    assert '<meta http-equiv="refresh" content="2">' in page


def test_starting_a_stuck_check_again_checks_it_and_is_in_its_history(client_for, checking, staff):
    response = client_for("staff").post(restart_url(checking), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    checking.refresh_from_db()
    # The immediate backend ran the check inside the request.
    assert checking.status == ImportStatus.CHECKED
    [restart] = restarts(checking)
    assert restart.by == staff
    assert restart.note == "Check started again: it had made no progress for 15 minutes."


def test_starting_a_stuck_import_again_imports_it_once(client_for, importing_batch, staff):
    client_for("staff").post(restart_url(importing_batch), HTTP_ACCEPT_LANGUAGE="en")

    importing_batch.refresh_from_db()
    assert importing_batch.status == ImportStatus.IMPORTED
    assert Child.objects.count() == 2
    [restart] = restarts(importing_batch)
    assert restart.by == staff
    assert restart.note.startswith("Import started again")


def test_a_restart_is_queued_for_a_worker_with_a_database_backend(client_for, checking, settings):
    settings.TASKS = DATABASE_TASKS

    client_for("staff").post(restart_url(checking))

    task = DBTaskResult.objects.get()
    assert task.task_path == "wishes.importing.tasks.check_import_task"
    assert task.args_kwargs["args"] == [checking.pk]
    checking.refresh_from_db()
    assert checking.status == ImportStatus.UPLOADED


@pytest.mark.parametrize("minutes", [0, 14])
def test_a_batch_still_moving_is_not_started_again(client_for, checking, minutes):
    batch = left_for(checking, minutes)
    client = client_for("staff")

    response = client.post(restart_url(batch), follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "this one is running or has finished" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.UPLOADED
    assert restarts(batch) == []


def test_a_finished_batch_is_not_started_again(client_for, importing_batch, staff):
    importing.import_batch(batch_id=importing_batch.pk, by=staff)
    batch = left_for(importing_batch, 60)

    client_for("staff").post(restart_url(batch))

    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    assert Child.objects.count() == 2
    assert restarts(batch) == []


@pytest.mark.parametrize(
    "role, status",
    [
        ("staff", 200),
        ("superuser", 200),
        ("bare_staff", 403),
        ("sponsor", 302),
        ("coordinator", 302),
        ("plain_user", 302),
        ("anonymous", 302),
    ],
)
def test_only_import_staff_see_a_batchs_progress(client_for, checking, role, status):
    response = client_for(role).get(
        reverse("admin:wishes_importbatch_preview", args=[checking.pk])
    )

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize(
    "role, status",
    [
        ("bare_staff", 403),
        ("sponsor", 302),
        ("coordinator", 302),
        ("plain_user", 302),
        ("anonymous", 302),
    ],
)
def test_only_import_staff_may_start_a_stuck_batch_again(client_for, checking, role, status):
    response = client_for(role).post(restart_url(checking))

    assert response.status_code == status
    checking.refresh_from_db()
    assert checking.status == ImportStatus.UPLOADED
    assert restarts(checking) == []


def test_starting_again_only_answers_posts(client_for, checking):
    assert client_for("staff").get(restart_url(checking)).status_code == 405
