"""The daily jobs and the one scheduler that runs them (manage.py run_scheduled).

A systemd timer or cron calls `run_scheduled` (docs/deploy.md); it may be called often, on
several machines, even twice at once: each job runs once a day. A job is claimed by inserting
its (job, day) row in ScheduledRun; a second scheduler finds the row taken and skips the job.
Each job is also safe on its own when run twice (see the services), so a claim taken again
after a crash repeats nothing that was done.
"""

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from wishes.models import ScheduledRun, ScheduledRunStatus

logger = logging.getLogger(__name__)

# A run still "running" after this long was left by a scheduler that died: take it again.
STALE_AFTER = datetime.timedelta(hours=2)
# Finished task results (TASKS_BACKEND=database) are kept this many days.
TASK_RESULT_DAYS = 14
# ... except sent mail, whose task holds the message: kept a day.
MAIL_TASK_DAYS = 1
MAIL_TASK = "huamu.tasks.send_mail_task"


def _follow_up() -> dict:
    from wishes.claiming.follow_up import follow_up_claims

    return follow_up_claims().as_dict()


def _event_reminders() -> dict:
    from wishes.services import send_event_reminders

    return {"reminded": len(send_event_reminders())}


def _anonymise() -> dict:
    from wishes.services import anonymise_expired

    run = anonymise_expired()
    return {"due": run.due, "anonymised": run.anonymised, "skipped": run.skipped}


def _prune_task_results() -> dict:
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    finished = DBTaskResult.objects.finished()
    cutoff = now - datetime.timedelta(days=TASK_RESULT_DAYS)
    deleted, _counts = finished.filter(finished_at__lte=cutoff).delete()
    # A sent mail's task holds the whole message (names, phones, a child's alias): a day.
    mail_cutoff = now - datetime.timedelta(days=MAIL_TASK_DAYS)
    mails, _counts = finished.filter(
        task_path=MAIL_TASK, status="SUCCESSFUL", finished_at__lte=mail_cutoff
    ).delete()
    return {"deleted": deleted + mails}


def _remove_old_downloads() -> dict:
    from wishes.reports.downloads import remove_old_download_files

    return {"removed": remove_old_download_files()}


def _check_tallies() -> dict:
    from wishes.reports.tallies import rebuild

    return {"corrected": len(rebuild())}


# In this order: the follow-up (reminders, overdue digest, consents to renew, hand-over
# reminders, old import files), the reminders before events, the retention rule, the files
# of background downloads (they hold children's data), the task queue's old results, and
# last the recount of the running totals (after the day's changes; it folds the day's rows
# into one per figure).
JOBS: dict[str, Callable[[], dict]] = {
    "follow_up_claims": _follow_up,
    "event_reminders": _event_reminders,
    "anonymise_expired": _anonymise,
    "remove_old_downloads": _remove_old_downloads,
    "prune_task_results": _prune_task_results,
    "check_tallies": _check_tallies,
}


@dataclass
class JobOutcome:
    """What one scheduler did with one job: ran it, skipped it (done or held), or failed."""

    job: str
    outcome: str
    summary: dict


def claim_run(*, job: str, day: datetime.date, now: datetime.datetime) -> ScheduledRun | None:
    """Take today's run of a job, or None when it is done or another scheduler holds it."""
    with transaction.atomic():
        try:
            # The unique (job, day) row: on PostgreSQL a second insert waits for the first
            # one's transaction and then fails; on SQLite writers queue for the lock.
            with transaction.atomic():
                return ScheduledRun.objects.create(job=job, day=day, started_at=now)
        except IntegrityError:
            pass
        run = ScheduledRun.objects.select_for_update().get(job=job, day=day)
        retry = run.status == ScheduledRunStatus.FAILED or (
            run.status == ScheduledRunStatus.RUNNING and run.started_at < now - STALE_AFTER
        )
        if not retry:
            return None
        run.status = ScheduledRunStatus.RUNNING
        run.started_at = now
        run.finished_at = None
        run.attempts += 1
        run.save(update_fields=["status", "started_at", "finished_at", "attempts"])
        return run


def _finish(run: ScheduledRun, status: str, summary: dict) -> None:
    ScheduledRun.objects.filter(pk=run.pk).update(
        status=status, summary=summary, finished_at=timezone.now()
    )


def run_scheduled(*, only: list[str] | None = None) -> list[JobOutcome]:
    """Run each of today's jobs not yet done and not held by another scheduler."""
    outcomes = []
    for job, function in JOBS.items():
        if only and job not in only:
            continue
        run = claim_run(job=job, day=timezone.localdate(), now=timezone.now())
        if run is None:
            outcomes.append(JobOutcome(job, "skipped", {}))
            continue
        try:
            summary = function()
        except Exception as error:
            logger.exception("Scheduled job %s failed", job)
            _finish(run, ScheduledRunStatus.FAILED, {"error": repr(error)[:500]})
            outcomes.append(JobOutcome(job, "failed", {"error": repr(error)[:500]}))
            continue
        _finish(run, ScheduledRunStatus.DONE, summary)
        outcomes.append(JobOutcome(job, "done", summary))
    return outcomes
