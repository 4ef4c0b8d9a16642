"""Fulfilment of a claim, its photos and the child's thank-you letter."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huamu.images import validate_masks
from huamu.models import TimeStampedModel
from wishes.models.claims import Claim
from wishes.models.events import Event
from wishes.models.files import letter_path, photo_path


class Fulfilment(TimeStampedModel):
    """The record that a claimed wish came true (圆梦)."""

    claim = models.OneToOneField(
        Claim, models.PROTECT, related_name="fulfilment", verbose_name=_("claim")
    )
    fulfilled_on = models.DateField(_("fulfilled on"))
    event = models.ForeignKey(
        Event,
        models.PROTECT,
        related_name="fulfilments",
        verbose_name=_("event"),
        null=True,
        blank=True,
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("fulfilment")
        verbose_name_plural = _("fulfilments")
        ordering = ["-fulfilled_on"]

    def __str__(self) -> str:
        return str(self.claim.wish)


class LetterStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Delivered")
    REJECTED = "rejected", _("Not approved")


class ThankYouLetter(TimeStampedModel):
    """A child's thank-you letter (感谢信) to the sponsor of a fulfilled wish."""

    fulfilment = models.ForeignKey(
        Fulfilment, models.PROTECT, related_name="letters", verbose_name=_("fulfilment")
    )
    scan = models.ImageField(
        _("scan or photo of the letter"),
        upload_to=letter_path,
        blank=True,
        width_field="scan_width",
        height_field="scan_height",
    )
    scan_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    scan_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    preview = models.ImageField(
        _("watermarked copy for the sponsor"), upload_to=letter_path, blank=True, editable=False
    )
    # Areas of the scan staff covered (a signature, a name), as fractions of its width and
    # height: [{"x": .., "y": .., "w": .., "h": ..}]. The sponsor's copy has them filled.
    masks = models.JSONField(
        _("covered areas"),
        default=list,
        blank=True,
        editable=False,
        validators=[validate_masks],
    )
    transcription = models.TextField(_("transcription"), blank=True)
    shared_text = models.TextField(
        _("text for the sponsor"),
        blank=True,
        help_text=_(
            "Drafted from the transcription with whatever names the child replaced. Check and "
            "edit it before approving: the sponsor reads this, never the transcription."
        ),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=LetterStatus, default=LetterStatus.PENDING
    )
    review_note = models.TextField(_("review note"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("thank-you letter")
        verbose_name_plural = _("thank-you letters")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=LetterStatus.values), name="letter_status_valid"
            ),
            # A letter is a scan, a transcription or both; never nothing.
            models.CheckConstraint(
                condition=~Q(scan="") | ~Q(transcription=""), name="letter_has_content"
            ),
        ]

    def __str__(self) -> str:
        return gettext("Letter for %(wish)s") % {"wish": self.fulfilment}


class PhotoState(models.TextChoices):
    """The states of a photo as the audit trail records them (it has no status field)."""

    PRIVATE = "private", _("Private")
    PUBLIC = "public", _("Public")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PhotoQuerySet(models.QuerySet):
    def current(self) -> "PhotoQuerySet":
        return self.filter(withdrawn_at__isnull=True)


class FulfilmentPhoto(TimeStampedModel):
    """A photo of a fulfilment; private unless consent and staff both clear it."""

    fulfilment = models.ForeignKey(
        Fulfilment, models.PROTECT, related_name="photos", verbose_name=_("fulfilment")
    )
    image = models.ImageField(
        _("photo"), upload_to=photo_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=photo_path, editable=False)
    is_public = models.BooleanField(
        _("cleared for publication by staff"),
        default=False,
        help_text=_("Shown publicly only while the guardian's consent to publish photos holds."),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    objects = PhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("fulfilment photo")
        verbose_name_plural = _("fulfilment photos")
        ordering = ["created_at", "id"]

    # The audit trail labels this record's changes with these states.
    audit_states = PhotoState

    def __str__(self) -> str:
        return gettext("Photo %(id)s") % {"id": self.pk}

    @property
    def state(self) -> str:
        if self.withdrawn_at is not None:
            return PhotoState.WITHDRAWN
        return PhotoState.PUBLIC if self.is_public else PhotoState.PRIVATE
