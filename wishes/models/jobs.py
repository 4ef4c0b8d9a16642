"""Background work and its records: downloads made by a worker, and the scheduled jobs' runs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from huamu.models import TimeStampedModel
from wishes.models.files import download_path


class DownloadKind(models.TextChoices):
    CAMPAIGN_EXPORT = "campaign_export", _("Campaign export (.xlsx)")
    WISH_CARDS = "wish_cards", _("Wish cards (PDF)")
    CERTIFICATES = "certificates", _("Thank-you certificates (PDF)")


class DownloadStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    RUNNING = "running", _("Being made")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class Download(TimeStampedModel):
    """A file a worker makes for one staff member (TASKS_BACKEND=database): an export, PDFs.

    Only its requester sees its page and downloads the file, which holds back-office data
    and is removed by the daily jobs a day after it was made; the row stays.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=DownloadKind)
    status = models.CharField(
        _("status"), max_length=16, choices=DownloadStatus, default=DownloadStatus.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    params = models.JSONField(_("what to make"), default=dict, blank=True)
    file = models.FileField(_("file"), upload_to=download_path, blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    message = models.TextField(_("message"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    file_removed_at = models.DateTimeField(_("file removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("background download")
        verbose_name_plural = _("background downloads")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DownloadStatus.values), name="download_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=DownloadKind.values), name="download_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("admin:wishes_download_progress", args=[self.pk])

    @property
    def working(self) -> bool:
        return self.status in (DownloadStatus.QUEUED, DownloadStatus.RUNNING)


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
