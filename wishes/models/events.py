"""Events where wishes are fulfilled."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huamu.models import TimeStampedModel
from sponsors.models import Sponsor
from wishes.models.places import School
from wishes.models.wishes import Campaign, Wish


class EventKind(models.TextChoices):
    DREAM_MEETING = "dream_meeting", _("Dream meeting")
    SCHOOL_SESSION = "school_session", _("School session")
    THANKS_EVENT = "thanks_event", _("Thanks event")
    LEI_FENG_DAY = "lei_feng_day", _("Learn from Lei Feng day")
    OTHER = "other", _("Other")


class Event(TimeStampedModel):
    """A fulfilment event (圆梦活动) at a school or elsewhere."""

    kind = models.CharField(_("kind"), max_length=16, choices=EventKind)
    title = models.CharField(_("title"), max_length=120)
    date = models.DateField(_("date"))
    venue = models.CharField(_("venue"), max_length=120)
    school = models.ForeignKey(
        School,
        models.PROTECT,
        related_name="events",
        verbose_name=_("school"),
        null=True,
        blank=True,
    )
    campaign = models.ForeignKey(
        Campaign, models.PROTECT, related_name="events", verbose_name=_("campaign")
    )
    description = models.TextField(_("write-up"), blank=True)
    is_public = models.BooleanField(
        _("shown on the public events page"),
        default=True,
        help_text=_("Only photos cleared for publication with the guardian's consent appear."),
    )
    drop_off_deadline = models.DateField(
        _("drop-off deadline"),
        null=True,
        blank=True,
        help_text=_("For the wishes of this event, instead of the campaign's deadline."),
    )
    sponsors = models.ManyToManyField(
        Sponsor, related_name="events", verbose_name=_("sponsors taking part"), blank=True
    )
    wishes = models.ManyToManyField(
        Wish, related_name="events", verbose_name=_("wishes to fulfil"), blank=True
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="event_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.title}"
