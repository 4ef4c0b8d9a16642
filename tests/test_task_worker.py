"""The task queue: a task enqueued by the web process runs in a separate `db_worker` process.

The worker is started as production starts it (`manage.py db_worker`, TASKS_BACKEND=database)
against this run's test database, which on SQLite is a file (huamu/settings.py) and on
PostgreSQL the test database, so the test runs in both of CI's passes.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from tests.factories import CampaignFactory
from tests.new_python import run_with_settings
from tests.wishes.importing.files import many_rows, xlsx_bytes
from tests.wishes.importing.test_import import upload
from wishes.models import Child, ImportBatch, ImportStatus, Wish, WishStatus

PROJECT = Path(__file__).resolve().parents[1]
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Far more than the worker needs even on a loaded machine; only a hung worker reaches it.
WORKER_TIMEOUT = 300


def database_url_of_this_run() -> str:
    """The URL of the database this test run uses, for a process of its own."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def run_worker() -> subprocess.CompletedProcess:
    """Run every task waiting in the queue in a new `manage.py db_worker` process, then stop."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_this_run(),
        "TASKS_BACKEND": "database",
        "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        "DEBUG": "false",
        "HUAMU_TESTING": "true",
    }
    return subprocess.run(  # noqa: S603 - this interpreter running the project's manage.py
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT,
        check=False,
    )


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = DATABASE_TASKS


@pytest.mark.django_db(transaction=True)
def test_an_import_enqueued_by_the_site_is_checked_and_imported_by_a_worker_process(
    database_tasks, client_for, school, staff
):
    campaign = CampaignFactory(year=2026)
    client = client_for("staff")

    upload(client, campaign, xlsx_bytes(many_rows(3)), "名单.xlsx")

    batch = ImportBatch.objects.get()
    # Queued, not run: the request only stored the file and the task.
    assert batch.status == ImportStatus.UPLOADED
    task = DBTaskResult.objects.get()
    assert task.status == "READY"
    assert task.task_path == "wishes.importing.tasks.check_import_task"

    worker = run_worker()

    assert worker.returncode == 0, worker.stderr
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKED
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert task.worker_ids  # claimed by the worker process, not run here
    assert Child.objects.count() == 0

    client.post(reverse("admin:wishes_importbatch_import", args=[batch.pk]))
    assert Child.objects.count() == 0  # still queued
    worker = run_worker()

    assert worker.returncode == 0, worker.stderr
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    assert Wish.objects.filter(status=WishStatus.DRAFT).count() == 3
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_the_worker_refuses_to_run_on_the_immediate_backend(db):
    # The default (TASKS_BACKEND=immediate) runs tasks in the request: no worker is needed,
    # and starting one says so instead of waiting for tasks that never come.
    with pytest.raises(CommandError, match="not a database backend"):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")


def task_backend_of(**env: str) -> subprocess.CompletedProcess:
    """The default task backend a server started with `env` uses."""
    return run_with_settings(
        "import django; django.setup(); from django.tasks import task_backends; "
        "print(type(task_backends['default']).__name__)",
        without={"TASKS_BACKEND"},
        DEBUG="true",
        **env,
    )


@pytest.mark.parametrize(
    "env, backend",
    [({}, "ImmediateBackend"), ({"TASKS_BACKEND": "database"}, "DatabaseBackend")],
)
def test_tasks_backend_picks_where_tasks_run(env, backend):
    result = task_backend_of(**env)

    assert result.stdout.strip() == backend, result.stderr


def test_an_unknown_tasks_backend_stops_start_up():
    result = task_backend_of(TASKS_BACKEND="celery")

    assert result.returncode != 0
    assert "TASKS_BACKEND must be immediate or database" in result.stderr
