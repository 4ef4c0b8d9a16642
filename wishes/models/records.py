"""Records kept about the work: the audit trail, the access log, imports, totals."""

from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from huamu.models import TimeStampedModel
from wishes.models.children import Child
from wishes.models.files import import_path
from wishes.models.wishes import Campaign


class AccessAction(models.TextChoices):
    """What a logged request read: one record, a page of a list, a download or a print."""

    VIEW_CHILD = "view_child", _("Viewed a child's record")
    VIEW_PHOTO = "view_photo", _("Viewed a photo")
    VIEW_LETTER = "view_letter", _("Viewed a thank-you letter")
    LIST_CHILDREN = "list_children", _("Listed children")
    VIEW_CONSENT = "view_consent", _("Viewed a consent")
    LIST_CONSENTS = "list_consents", _("Listed consents")
    VIEW_SIGNED_FORM = "view_signed_form", _("Viewed a signed consent form")
    VIEW_WISH = "view_wish", _("Viewed a wish")
    LIST_WISHES = "list_wishes", _("Listed wishes")
    VIEW_FULFILMENT = "view_fulfilment", _("Viewed a fulfilment")
    EXPORT_CAMPAIGN = "export_campaign", _("Exported a campaign")
    PRINT_CARDS = "print_cards", _("Printed wish cards")
    PRINT_ROSTER = "print_roster", _("Printed an event roster")
    PREVIEW_IMPORT = "preview_import", _("Viewed a spreadsheet import")
    IMPORT_FILE = "import_file", _("Downloaded an imported spreadsheet")
    YEAR_REPORT = "year_report", _("Downloaded the year's report")
    VIEW_FEEDBACK = "view_feedback", _("Viewed a feedback comment")
    LIST_FEEDBACK = "list_feedback", _("Listed feedback")


class AccessLog(models.Model):
    """Who read which children's private data, when, from where and through which page.

    One row per request that showed it (a record's page, a page of a list, an export, a
    print), naming the children it showed: a list page is one row, not one per child.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
        null=True,
        blank=True,
    )
    action = models.CharField(_("action"), max_length=16, choices=AccessAction)
    content_type = models.ForeignKey(
        ContentType, models.PROTECT, related_name="+", verbose_name=_("kind of record")
    )
    # Empty for a page about many records (a list, a print of several wishes).
    object_id = models.PositiveBigIntegerField(_("record id"), null=True, blank=True)
    # Ids only, in a table of their own: the log can be filtered by child on any database.
    children = models.ManyToManyField(
        Child, related_name="+", verbose_name=_("children shown"), blank=True
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    path = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="accesslog_subject")]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AccessAction.values), name="accesslog_action_valid"
            ),
        ]

    def __str__(self) -> str:
        subject = "" if self.object_id is None else f" #{self.object_id}"
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}{subject}"


class YearTotal(TimeStampedModel):
    """Totals of a year before the system was used, entered by staff from the old records."""

    year = models.PositiveSmallIntegerField(
        _("year"), unique=True, validators=[MinValueValidator(2013), MaxValueValidator(2100)]
    )
    wishes_fulfilled = models.PositiveIntegerField(_("wishes fulfilled"), default=0)
    units = models.PositiveIntegerField(_("caring units taking part"), default=0)
    individuals = models.PositiveIntegerField(_("caring individuals taking part"), default=0)
    note = models.TextField(_("source of the figures"), blank=True)

    class Meta:
        verbose_name = _("earlier year's totals")
        verbose_name_plural = _("earlier years' totals")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    CHECKED = "checked", _("Checked")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Failed")


class ImportBatch(TimeStampedModel):
    """One spreadsheet of children and wishes, checked first, then imported all or nothing."""

    file = models.FileField(_("file"), upload_to=import_path)
    original_name = models.CharField(_("file name"), max_length=200)
    campaign = models.ForeignKey(
        Campaign, models.PROTECT, related_name="imports", verbose_name=_("campaign")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus, default=ImportStatus.UPLOADED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    summary = models.JSONField(_("result"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
    )
    # The file holds minors' private data: the daily follow-up removes it some days after
    # the import finished (HUAMU_IMPORT_FILE_DAYS); the batch and its report stay.
    file_removed_at = models.DateTimeField(_("file removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="import_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    @admin.display(description=_("stored file"))
    def file_removed_note(self) -> str:
        """What is shown instead of the link to the file once it was removed; "" until then."""
        if self.file_removed_at is None:
            return ""
        removed_on = timezone.localdate(self.file_removed_at)
        days = (removed_on - timezone.localdate(self.created_at)).days
        return ngettext(
            "File removed on %(date)s, %(days)d day after upload.",
            "File removed on %(date)s, %(days)d days after upload.",
            days,
        ) % {"date": removed_on.isoformat(), "days": days}


class StatusChange(models.Model):
    """The audit trail: one row for every state change of a wish, claim, sponsor or letter."""

    content_type = models.ForeignKey(
        ContentType, models.PROTECT, related_name="+", verbose_name=_("kind of record")
    )
    object_id = models.PositiveBigIntegerField(_("record id"))
    subject = GenericForeignKey("content_type", "object_id")
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
        null=True,
        blank=True,
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "at"], name="statuschange_subject"),
        ]

    def __str__(self) -> str:
        # By the states' labels (草稿 → 待认领), as the history inline's title shows it.
        from wishes.audit import status_label  # wishes.audit imports the models

        model = self.content_type.model_class()
        return f"{status_label(model, self.from_status)} → {status_label(model, self.to_status)}"
