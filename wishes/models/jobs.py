"""Runs of the scheduled jobs: one row per job and day, so two schedulers never run one twice."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ScheduledRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ScheduledRun(models.Model):
    """One day's run of one scheduled job (manage.py run_scheduled), claimed by one scheduler.

    The unique (job, day) row is the lock: a second scheduler started at the same time finds
    it taken and skips the job; a failed run, or one left running for hours by a scheduler
    that died, is taken again by the next run.
    """

    job = models.CharField(_("job"), max_length=40)
    day = models.DateField(_("day"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ScheduledRunStatus,
        default=ScheduledRunStatus.RUNNING,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    summary = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        ordering = ["-day", "job"]
        constraints = [
            models.UniqueConstraint(fields=["job", "day"], name="one_scheduled_run_per_day"),
            models.CheckConstraint(
                condition=Q(status__in=ScheduledRunStatus.values),
                name="scheduled_run_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.day}"
