"""Hand-over of gifts: where sponsors bring them (drop-off points), the record that a gift
arrived, and the one reminder before the drop-off deadline."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huamu.models import TimeStampedModel
from huamu.phones import PhoneNumberField
from wishes.models.claims import Claim
from wishes.models.events import Event
from wishes.models.files import private_name
from wishes.models.places import School
from wishes.models.wishes import Campaign


def receipt_path(instance, filename: str) -> str:
    return private_name("receipts", filename.rsplit(".", 1)[-1].lower())


class DropOffPoint(TimeStampedModel):
    """Where sponsors of a campaign bring their gifts (礼物接收点): the office, a gate room."""

    campaign = models.ForeignKey(
        Campaign, models.PROTECT, related_name="drop_off_points", verbose_name=_("campaign")
    )
    name = models.CharField(_("name"), max_length=80)
    address = models.CharField(_("address"), max_length=200)
    opening_hours = models.CharField(_("opening hours"), max_length=120)
    contact_phone = PhoneNumberField(_("contact phone"))
    school = models.ForeignKey(
        School,
        models.PROTECT,
        related_name="drop_off_points",
        verbose_name=_("school"),
        null=True,
        blank=True,
        help_text=_("Only for the wishes of this school's children; empty: for every wish."),
    )
    event = models.ForeignKey(
        Event,
        models.PROTECT,
        related_name="drop_off_points",
        verbose_name=_("event"),
        null=True,
        blank=True,
        help_text=_("Only for the wishes of this event; empty: for the whole campaign."),
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("drop-off point")
        verbose_name_plural = _("drop-off points")
        ordering = ["campaign", "name"]

    def __str__(self) -> str:
        return self.name


class GiftReceipt(TimeStampedModel):
    """The record that a claim's gift reached the programme (礼物已送达), by whom and when."""

    claim = models.OneToOneField(
        Claim, models.PROTECT, related_name="gift_receipt", verbose_name=_("claim")
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("received by")
    )
    note = models.TextField(
        _("note"), blank=True, help_text=_("For example: wrong item, damaged parcel.")
    )
    # Private like every upload: the parcel may show a name or an address label.
    photo = models.ImageField(_("parcel photo"), upload_to=receipt_path, blank=True)

    class Meta:
        verbose_name = _("gift receipt")
        verbose_name_plural = _("gift receipts")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return str(self.claim)


class HandoverReminder(models.Model):
    """That a claim's sponsor was reminded of one drop-off deadline: at most once each."""

    claim = models.ForeignKey(
        Claim, models.PROTECT, related_name="handover_reminders", verbose_name=_("claim")
    )
    deadline = models.DateField(_("drop-off deadline"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    # Blank when the daily run reminded, the staff member when sent from the missing list.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("sent by"),
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("hand-over reminder")
        verbose_name_plural = _("hand-over reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "deadline"],
                condition=Q(sent_by__isnull=True),
                name="one_daily_handover_reminder_per_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim} · {self.deadline:%Y-%m-%d}"


class MissingGift(Claim):
    """The back office's list of claims whose gift has not arrived by the deadline."""

    class Meta:
        proxy = True
        verbose_name = _("missing gift")
        verbose_name_plural = _("gifts missing after the deadline")
