"""`manage.py run_scheduled`: each daily job once a day, whatever calls it and how often."""

import datetime
import io
import os
import subprocess
import sys
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone, translation

from tests.factories import ClaimFactory
from tests.test_task_worker import PROJECT, WORKER_TIMEOUT, database_url_of_this_run
from wishes.models import ScheduledRun, ScheduledRunStatus
from wishes.scheduling import jobs

ALL_JOBS = set(jobs.JOBS)


def run(*args: str) -> str:
    """Run the scheduler as the timer does; its output, in English."""
    out = io.StringIO()
    with translation.override("en"):
        call_command("run_scheduled", *args, stdout=out)
    return out.getvalue()


def runs_by_status() -> dict[str, str]:
    return dict(ScheduledRun.objects.values_list("job", "status"))


@pytest.fixture
def claim_due_soon(db, settings):
    settings.HUAMU_REMINDER_DAYS = 3
    return ClaimFactory(promised_on=timezone.localdate() + datetime.timedelta(days=2))


@pytest.mark.django_db
def test_a_run_does_every_job_and_a_second_run_that_day_does_none(
    claim_due_soon, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = run()

    assert runs_by_status() == dict.fromkeys(ALL_JOBS, ScheduledRunStatus.DONE)
    assert "follow_up_claims: done" in first
    reminders = [mail for mail in mailoutbox if claim_due_soon.wish.code in mail.body]
    assert len(reminders) == 1
    summary = ScheduledRun.objects.get(job="follow_up_claims").summary
    assert summary["reminded"][0]["wishes"] == [claim_due_soon.wish.code]

    with django_capture_on_commit_callbacks(execute=True):
        second = run()

    assert "follow_up_claims: skipped" in second
    assert [mail for mail in mailoutbox if claim_due_soon.wish.code in mail.body] == reminders
    assert ScheduledRun.objects.count() == len(ALL_JOBS)
    assert set(ScheduledRun.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_a_second_scheduler_started_while_the_first_runs_a_job_skips_that_job(monkeypatch):
    calls = []
    inner: dict[str, str] = {}

    def second_scheduler() -> None:
        try:
            inner["output"] = run()
        finally:
            connection.close()

    def follow_up_that_meets_a_second_scheduler() -> dict:
        calls.append("follow_up")
        # While this job runs, a second scheduler (its own thread and database connection)
        # starts and finishes.
        thread = threading.Thread(target=second_scheduler)
        thread.start()
        thread.join()
        return {}

    monkeypatch.setitem(jobs.JOBS, "follow_up_claims", follow_up_that_meets_a_second_scheduler)

    outer = run()

    assert calls == ["follow_up"]
    assert "follow_up_claims: skipped" in inner["output"]
    assert "anonymise_expired: done" in inner["output"]
    assert "follow_up_claims: done" in outer
    assert "anonymise_expired: skipped" in outer
    assert runs_by_status() == dict.fromkeys(ALL_JOBS, ScheduledRunStatus.DONE)


@pytest.mark.django_db
def test_a_failed_job_is_reported_and_tried_again_at_the_next_run(monkeypatch):
    def broken() -> dict:
        raise RuntimeError("mail server down")

    monkeypatch.setitem(jobs.JOBS, "follow_up_claims", broken)

    with pytest.raises(CommandError, match="follow_up_claims"):
        run()

    failed = ScheduledRun.objects.get(job="follow_up_claims")
    assert failed.status == ScheduledRunStatus.FAILED
    assert "mail server down" in failed.summary["error"]
    # The other jobs still ran.
    assert runs_by_status()["anonymise_expired"] == ScheduledRunStatus.DONE

    monkeypatch.setitem(jobs.JOBS, "follow_up_claims", lambda: {"ok": True})
    output = run()

    failed.refresh_from_db()
    assert failed.status == ScheduledRunStatus.DONE
    assert failed.attempts == 2
    assert "anonymise_expired: skipped" in output


@pytest.mark.django_db
def test_a_run_left_running_by_a_dead_scheduler_is_taken_again_only_when_stale():
    now = timezone.now()
    ScheduledRun.objects.create(
        job="follow_up_claims",
        day=timezone.localdate(),
        started_at=now - datetime.timedelta(minutes=5),
    )

    assert "follow_up_claims: skipped" in run("--only", "follow_up_claims")

    ScheduledRun.objects.update(started_at=now - jobs.STALE_AFTER - datetime.timedelta(minutes=1))

    assert "follow_up_claims: done" in run("--only", "follow_up_claims")
    assert ScheduledRun.objects.get().attempts == 2


@pytest.mark.django_db
def test_only_runs_just_the_named_job():
    run("--only", "anonymise_expired")

    assert runs_by_status() == {"anonymise_expired": ScheduledRunStatus.DONE}


def test_an_unknown_job_name_is_refused():
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("run_scheduled", "--only", "everything")


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_started_at_once_in_two_processes_run_each_job_once(settings):
    settings.HUAMU_REMINDER_DAYS = 3
    claim = ClaimFactory(promised_on=timezone.localdate() + datetime.timedelta(days=2))
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_this_run(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "HUAMU_ERASURE_LOG": str(settings.HUAMU_ERASURE_LOG),
        "HUAMU_REMINDER_DAYS": "3",
        "DEBUG": "false",
        "HUAMU_TESTING": "true",
        # Mail goes to each process's stdout, where the reminders are counted.
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "TASKS_BACKEND": "immediate",
    }
    command = [sys.executable, "manage.py", "run_scheduled"]
    processes = [
        # This interpreter running the project's manage.py.
        subprocess.Popen(  # noqa: S603
            command,
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=WORKER_TIMEOUT) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    assert runs_by_status() == dict.fromkeys(ALL_JOBS, ScheduledRunStatus.DONE)
    assert set(ScheduledRun.objects.values_list("attempts", flat=True)) == {1}
    printed = "".join(stdout for stdout, _stderr in outputs)
    reminders = [part for part in printed.split("Subject:") if claim.wish.code in part]
    assert len(reminders) == 1


@pytest.mark.django_db
def test_old_task_results_are_pruned_and_sent_mail_after_a_day(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = timezone.now()

    def finished(task_path: str, days: int, status: str = "SUCCESSFUL") -> DBTaskResult:
        return DBTaskResult.objects.create(
            task_path=task_path,
            args_kwargs={"args": [], "kwargs": {}},
            status=status,
            backend_name="default",
            enqueued_at=now - datetime.timedelta(days=days),
            finished_at=now - datetime.timedelta(days=days),
        )

    # Pruned: an import's task after 14 days, a sent mail's after one.
    finished("wishes.importing.tasks.check_import_task", days=15)
    recent_import = finished("wishes.importing.tasks.check_import_task", days=2)
    finished(jobs.MAIL_TASK, days=2)
    failed_mail = finished(jobs.MAIL_TASK, days=2, status="FAILED")
    waiting = DBTaskResult.objects.create(
        task_path=jobs.MAIL_TASK, args_kwargs={"args": [], "kwargs": {}}, backend_name="default"
    )

    run("--only", "prune_task_results")

    kept = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert kept == {recent_import.pk, failed_mail.pk, waiting.pk}
