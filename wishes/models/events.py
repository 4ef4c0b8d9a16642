"""Events where wishes are fulfilled, the sponsors' sign-ups and who came."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huamu.models import TimeStampedModel
from huamu.phones import PhoneNumberField
from sponsors.models import Sponsor
from wishes.models.places import School
from wishes.models.wishes import Campaign, Wish

# An event lasts a day at most; a sponsor brings a team, not a crowd.
MAX_EVENT_HOURS = Decimal(24)
MAX_ATTENDEES = 50


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
    start_time = models.TimeField(
        _("starts at"),
        null=True,
        blank=True,
        help_text=_("Told to the sponsors who sign up, with the date and the venue."),
    )
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
    volunteer_hours = models.DecimalField(
        _("volunteer hours"),
        max_digits=3,
        decimal_places=1,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_EVENT_HOURS)],
        help_text=_("Recorded for each member of a sponsor checked in at the door."),
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="event_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(volunteer_hours__gte=0, volunteer_hours__lte=MAX_EVENT_HOURS),
                name="event_volunteer_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.title}"


class SignupStatus(models.TextChoices):
    ACTIVE = "active", _("Signed up")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class EventSignup(TimeStampedModel):
    """A sponsor's sign-up for an event: how many people come, named as its attendees."""

    event = models.ForeignKey(
        Event, models.PROTECT, related_name="signups", verbose_name=_("event")
    )
    sponsor = models.ForeignKey(
        Sponsor, models.PROTECT, related_name="event_signups", verbose_name=_("sponsor")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SignupStatus, default=SignupStatus.ACTIVE
    )
    headcount = models.PositiveSmallIntegerField(
        _("number of attendees"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_ATTENDEES)],
    )
    signed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("signed up by")
    )
    # Set by the daily job when the reminder before the event is sent: once per sign-up.
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("event sign-up")
        verbose_name_plural = _("event sign-ups")
        ordering = ["event", "sponsor__name"]
        constraints = [
            # One sign-up per sponsor and event: a change or a withdrawal updates it.
            models.UniqueConstraint(fields=["event", "sponsor"], name="one_signup_per_sponsor"),
            models.CheckConstraint(
                condition=Q(status__in=SignupStatus.values), name="event_signup_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(headcount__gte=1, headcount__lte=MAX_ATTENDEES),
                name="event_signup_headcount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.sponsor}"


class AttendeeStatus(models.TextChoices):
    EXPECTED = "expected", _("Expected")
    CHECKED_IN = "checked_in", _("Checked in")
    REMOVED = "removed", _("Taken off the sign-up")


class Attendee(TimeStampedModel):
    """One person a sponsor brings to an event; a member of the unit, or a name typed in."""

    signup = models.ForeignKey(
        EventSignup, models.PROTECT, related_name="attendees", verbose_name=_("sign-up")
    )
    name = models.CharField(_("name"), max_length=60)
    phone = PhoneNumberField(_("phone"), blank=True)
    # A member of the unit with an account: checked in, they earn the event's hours.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="event_attendances",
        verbose_name=_("member"),
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=AttendeeStatus, default=AttendeeStatus.EXPECTED
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("checked in by"),
        null=True,
        blank=True,
    )
    hours = models.DecimalField(
        _("volunteer hours"), max_digits=3, decimal_places=1, null=True, blank=True
    )

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        ordering = ["signup", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AttendeeStatus.values), name="attendee_status_valid"
            ),
            # Hours belong to a member who was checked in, and to nobody else.
            models.CheckConstraint(
                condition=Q(hours__isnull=True)
                | Q(status=AttendeeStatus.CHECKED_IN, user__isnull=False, hours__gte=0),
                name="attendee_hours_when_checked_in",
            ),
            models.UniqueConstraint(
                fields=["signup", "user"],
                condition=Q(user__isnull=False) & ~Q(status=AttendeeStatus.REMOVED),
                name="attendee_member_once_per_signup",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_checked_in(self) -> bool:
        return self.status == AttendeeStatus.CHECKED_IN
