"""With a task queue, mail is handed to a worker after the commit, never sent in the request."""

from types import SimpleNamespace

import pytest
from django_tasks_db.models import DBTaskResult

from huamu.mail import notify_staff
from huamu.tasks import runs_in_background

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = DATABASE_TASKS
    settings.STAFF_NOTIFY_EMAILS = ["office@huamu.example"]


def test_the_default_backend_runs_tasks_in_the_request():
    assert not runs_in_background()


def test_mail_is_queued_after_the_commit_and_sent_by_the_worker(
    database_tasks, mailoutbox, django_capture_on_commit_callbacks
):
    assert runs_in_background()
    with django_capture_on_commit_callbacks() as callbacks:
        notify_staff(
            template="sponsor_registered",
            context={"sponsor": SimpleNamespace(name="花木社区卫生服务中心", pk=7)},
        )
        # Nothing is queued before the transaction commits.
        assert not DBTaskResult.objects.exists()
    for callback in callbacks:
        callback()

    task = DBTaskResult.objects.get()
    assert task.task_path == "huamu.tasks.send_mail_task"
    assert mailoutbox == []

    # What the worker does with it (tests/test_task_worker.py runs a real worker process).
    queued = task.task_result
    assert task.task.call(*queued.args, **queued.kwargs) == 1

    [mail] = mailoutbox
    assert mail.to == ["office@huamu.example"]
    assert "花木社区卫生服务中心" in mail.body
