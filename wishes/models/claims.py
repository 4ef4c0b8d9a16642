"""Claims: a sponsor's promise to fulfil one wish."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huamu.models import TimeStampedModel
from sponsors.models import Sponsor
from wishes.models.events import Event
from wishes.models.wishes import Wish


class ClaimStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    GIFT_RECEIVED = "gift_received", _("Gift received")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


# A claim in one of these states holds its wish: the gift is on its way or has reached the
# drop-off point, and nobody else may claim the wish until it is fulfilled or cancelled.
LIVE_CLAIM_STATUSES = [ClaimStatus.ACTIVE, ClaimStatus.GIFT_RECEIVED]


class ClaimChannel(models.TextChoices):
    ONLINE = "online", _("Online")
    OFFLINE = "offline", _("Offline (recorded by staff)")
    CITY_PLATFORM = "city_platform", _("City civilisation practice platform")


class Claim(TimeStampedModel):
    """A sponsor's commitment to fulfil one wish (认领)."""

    wish = models.ForeignKey(Wish, models.PROTECT, related_name="claims", verbose_name=_("wish"))
    sponsor = models.ForeignKey(
        Sponsor, models.PROTECT, related_name="claims", verbose_name=_("sponsor")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ClaimStatus, default=ClaimStatus.ACTIVE
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=ClaimChannel, default=ClaimChannel.ONLINE
    )
    external_ref = models.CharField(
        _("external reference"),
        max_length=64,
        blank=True,
        help_text=_("The claim's number on the city platform."),
    )
    claimant_name = models.CharField(
        _("claimant on the platform"),
        max_length=120,
        blank=True,
        help_text=_("Who claimed it there, e.g. a practice sub-centre of another town."),
    )
    promised_on = models.DateField(_("promised delivery date"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancellation"), blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("claimed by"),
        null=True,
        blank=True,
    )
    # The unit's member who fulfils the wish: whoever claimed it for the unit, until one of
    # the unit's administrators hands it to another member.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="claims_to_fulfil",
        verbose_name=_("fulfilled by member"),
        null=True,
        blank=True,
    )
    # A claim made on the spot at an event (the 3·5 梦想现场认领), recorded by staff.
    event = models.ForeignKey(
        Event,
        models.PROTECT,
        related_name="claims",
        verbose_name=_("claimed at event"),
        null=True,
        blank=True,
    )

    reminder_sent_at = models.DateTimeField(
        _("reminder sent at"), null=True, blank=True, editable=False
    )
    overdue_reported_at = models.DateTimeField(
        _("reported overdue at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-created_at"]
        indexes = [
            # The back office's list, newest first (its default order): read from the top
            # of this index instead of joining and sorting every claim.
            models.Index(fields=["created_at", "id"], name="claim_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["wish"],
                condition=Q(status__in=LIVE_CLAIM_STATUSES),
                name="one_active_claim_per_wish",
            ),
            models.UniqueConstraint(
                fields=["channel", "external_ref"],
                condition=~Q(external_ref=""),
                name="claim_external_ref_unique",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=ClaimChannel.values), name="claim_channel_valid"
            ),
            models.CheckConstraint(
                condition=~Q(channel=ClaimChannel.CITY_PLATFORM) | ~Q(external_ref=""),
                name="claim_platform_has_reference",
            ),
            models.CheckConstraint(
                condition=~Q(status=ClaimStatus.CANCELLED) | ~Q(cancel_reason=""),
                name="claim_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.wish} · {self.sponsor}"
