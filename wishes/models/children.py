"""Children, what the public may know of them, and their guardians' consents."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from huamu.models import TimeStampedModel
from huamu.phones import PhoneNumberField
from wishes.models.files import consent_form_path
from wishes.models.places import Region, School


class Gender(models.TextChoices):
    GIRL = "girl", _("Girl")
    BOY = "boy", _("Boy")


class HardshipCategory(models.TextChoices):
    LOW_INCOME = "low_income", _("Low-income family")
    SINGLE_PARENT = "single_parent", _("Single-parent family")
    ILLNESS = "illness", _("Serious illness in the family")
    DISABILITY = "disability", _("Disability")
    MIGRANT = "migrant", _("Migrant family in difficulty")
    OTHER = "other", _("Other")


class PublicLocation(models.TextChoices):
    """How much of a child's whereabouts the public may see, chosen by staff."""

    REGION = "region", _("Region only")
    SCHOOL = "school", _("School")
    NONE = "none", _("Nothing")


class GradeBand(models.TextChoices):
    LOWER = "lower", _("Grades 1–2")
    MIDDLE = "middle", _("Grades 3–4")
    UPPER = "upper", _("Grade 5")
    JUNIOR = "junior", _("Junior middle school")

    @classmethod
    def grades(cls, band: str) -> tuple[int, int]:
        """Return the first and last grade of a band."""
        bounds: dict[str, tuple[int, int]] = {
            cls.LOWER: (1, 2),
            cls.MIDDLE: (3, 4),
            cls.UPPER: (5, 5),
            cls.JUNIOR: (6, 9),
        }
        return bounds[band]

    @classmethod
    def of(cls, grade: int) -> "GradeBand":
        for band in cls:
            low, high = cls.grades(band)
            if low <= grade <= high:
                return band
        return cls.JUNIOR


class ChildState(models.TextChoices):
    """The states of a child's record as the audit trail records them (no status field)."""

    KEPT = "kept", _("Kept")
    ANONYMISED = "anonymised", _("Anonymised after the retention period")
    ERASED = "erased", _("Erased at the guardian's request")
    # Staff take a child out of the programme (or back) with withdrawn_at on its page.
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Field-level history (django-simple-history) keeps every earlier value of these records'
# fields, private ones included, in their own tables: wishes_historicalchild and
# wishes_historicalconsent, read as child.history and consent.history. The tables are never
# in the admin's lists; only the field history pages of wishes/admin/field_history.py show
# them, to staff who may view the record. Erasing a child must delete those rows too.
# updated_at changes on every save and says nothing a history row's date does not.
HISTORY_EXCLUDED_FIELDS = ["updated_at"]


class ChildQuerySet(models.QuerySet):
    def active(self) -> "ChildQuerySet":
        return self.filter(withdrawn_at__isnull=True)

    def not_anonymised(self) -> "ChildQuerySet":
        return self.filter(anonymised_at__isnull=True)


class Child(TimeStampedModel):
    """A dream child (梦想儿童). Private: only staff and the child's school see it."""

    real_name = models.CharField(_("real name"), max_length=40)
    alias = models.CharField(
        _("public alias"),
        max_length=20,
        help_text=_("Shown to the public instead of the name, e.g. 小王同学."),
    )
    gender = models.CharField(_("gender"), max_length=8, choices=Gender)
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"), validators=[MinValueValidator(2000), MaxValueValidator(2030)]
    )
    grade = models.PositiveSmallIntegerField(
        _("grade"), validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    class_name = models.CharField(_("class"), max_length=20, blank=True)
    school = models.ForeignKey(
        School, models.PROTECT, related_name="children", verbose_name=_("school")
    )
    home_region = models.ForeignKey(
        Region, models.PROTECT, related_name="children", verbose_name=_("home region")
    )
    address = models.CharField(_("home address"), max_length=200, blank=True)
    # Blank only once anonymised: the admin form and the import require both.
    guardian_name = models.CharField(_("guardian's name"), max_length=40, blank=True)
    guardian_phone = PhoneNumberField(_("guardian's phone"), blank=True)
    hardship_category = models.CharField(
        _("hardship category"), max_length=16, choices=HardshipCategory
    )
    hardship_note = models.TextField(_("hardship details"), blank=True)
    private_words = models.TextField(
        _("other private words"),
        blank=True,
        help_text=_(
            "Anything else that would name the child: siblings' and other family members' "
            "names, nicknames, pinyin. One a line; public texts and letters must not contain "
            "them."
        ),
    )
    public_location = models.CharField(
        _("location shown to the public"),
        max_length=8,
        choices=PublicLocation,
        default=PublicLocation.REGION,
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # Set once its private data is gone (wishes.services.lifecycle); the record is then
    # read-only and keeps only what the programme's numbers need.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)

    objects = ChildQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=HISTORY_EXCLUDED_FIELDS,
        verbose_name=_("field history of a dream child"),
        verbose_name_plural=_("field histories of dream children"),
    )

    class Meta:
        verbose_name = _("dream child")
        verbose_name_plural = _("dream children")
        ordering = ["school", "grade", "alias"]
        # Not given to the staff group: erasure is for the few staff entrusted with it.
        permissions = [
            ("erase_child", _("Can erase a child's private data at the guardian's request")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(gender__in=Gender.values), name="child_gender_valid"
            ),
            models.CheckConstraint(
                condition=Q(grade__gte=1, grade__lte=9), name="child_grade_in_range"
            ),
            models.CheckConstraint(
                condition=Q(hardship_category__in=HardshipCategory.values),
                name="child_hardship_valid",
            ),
            models.CheckConstraint(
                condition=Q(public_location__in=PublicLocation.values),
                name="child_public_location_valid",
            ),
        ]

    def __str__(self) -> str:
        # The alias, not the name: this string may end up in logs and admin messages.
        return f"{self.alias} (#{self.pk})"

    # The audit trail labels this record's changes with these states.
    audit_states = ChildState

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def grade_band(self) -> GradeBand:
        return GradeBand.of(self.grade)

    @property
    def state(self) -> str:
        """Kept or withdrawn (anonymising and erasing are recorded by services.lifecycle)."""
        return ChildState.KEPT if self.withdrawn_at is None else ChildState.WITHDRAWN


class ConsentMethod(models.TextChoices):
    PAPER = "paper", _("Signed paper form")
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")
    ONLINE = "online", _("Online")


class ConsentState(models.TextChoices):
    """The states of a consent as the audit trail records them (it has no status field)."""

    IN_FORCE = "in_force", _("In force")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A school year ends on 31 August; a consent lasts until the end of the one it was given in.
SCHOOL_YEAR_LAST_MONTH = 8
SCHOOL_YEAR_LAST_DAY = 31
# Staff are reminded to renew a consent this many days before it expires.
RENEWAL_DAYS = 30


def school_year_end(day: datetime.date) -> datetime.date:
    """The last day (31 August) of the school year that `day` falls in."""
    year = day.year if day.month <= SCHOOL_YEAR_LAST_MONTH else day.year + 1
    return datetime.date(year, SCHOOL_YEAR_LAST_MONTH, SCHOOL_YEAR_LAST_DAY)


class ConsentQuerySet(models.QuerySet):
    def in_force(self, today: datetime.date | None = None) -> "ConsentQuerySet":
        """Consents whose scopes apply today: not withdrawn and not past their validity."""
        return self.filter(
            withdrawn_at__isnull=True, valid_until__gte=today or timezone.localdate()
        )

    def to_renew(
        self, today: datetime.date | None = None, *, expired: bool = True, expiring: bool = True
    ) -> "ConsentQuerySet":
        """Consents staff should renew: expired or expiring within RENEWAL_DAYS (either, by
        the flags), not withdrawn, of a child still in the programme, and not already
        renewed (no other consent of the child valid beyond the reminder window)."""
        today = today or timezone.localdate()
        horizon = today + datetime.timedelta(days=RENEWAL_DAYS)
        if not expired and not expiring:
            return self.none()
        window = Q()
        if expired:
            window |= Q(valid_until__lt=today)
        if expiring:
            window |= Q(valid_until__gte=today, valid_until__lte=horizon)
        renewed = self.model._default_manager.filter(
            child_id=models.OuterRef("child_id"),
            withdrawn_at__isnull=True,
            valid_until__gt=horizon,
        )
        return self.filter(
            window,
            withdrawn_at__isnull=True,
            child__withdrawn_at__isnull=True,
        ).exclude(models.Exists(renewed))


class Consent(TimeStampedModel):
    """A guardian's consent for one child, with separate scopes."""

    child = models.ForeignKey(
        Child, models.PROTECT, related_name="consents", verbose_name=_("child")
    )
    keep_record = models.BooleanField(_("keep the child's record"), default=True)
    publish_wish = models.BooleanField(_("publish the wish (anonymised)"), default=False)
    publish_school = models.BooleanField(
        _("show the school's name with the wish"),
        default=False,
        help_text=_("Without it the public sees the home region at most, whatever staff choose."),
    )
    share_photos_with_sponsor = models.BooleanField(
        _("share fulfilment photos with the sponsor"), default=False
    )
    publish_photos = models.BooleanField(_("publish photos"), default=False)
    share_letter_with_sponsor = models.BooleanField(
        _("pass the child's thank-you letter to the sponsor"),
        default=False,
        help_text=_(
            "Without it the sponsor only learns that the child wrote a letter, never its "
            "words or its scan."
        ),
    )
    method = models.CharField(_("how it was given"), max_length=16, choices=ConsentMethod)
    given_on = models.DateField(_("given on"))
    # Blank only once the child is anonymised; the admin form requires it.
    given_by = models.CharField(_("given by (guardian)"), max_length=40, blank=True)
    valid_until = models.DateField(
        _("valid until"),
        blank=True,
        help_text=_(
            "After this day none of the scopes applies any more. Left empty, it is the end "
            "of the school year the consent was given in (31 August)."
        ),
    )
    signed_form = models.FileField(
        _("signed paper form"),
        upload_to=consent_form_path,
        blank=True,
        editable=False,
        help_text=_("A scan or photo of the form the guardian signed; staff only."),
    )
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("collected by"),
        null=True,
        blank=True,
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    # When the daily follow-up last told staff this consent needs renewing (once each).
    renewal_reported_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ConsentQuerySet.as_manager()
    history = HistoricalRecords(
        # The daily follow-up's own mark, not something the guardian or staff changed.
        excluded_fields=[*HISTORY_EXCLUDED_FIELDS, "renewal_reported_at"],
        verbose_name=_("field history of a consent"),
        verbose_name_plural=_("field histories of consents"),
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=ConsentMethod.values), name="consent_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("given_on")), name="consent_valid_after_given"
            ),
        ]

    def __str__(self) -> str:
        return gettext("Consent of %(date)s") % {"date": self.given_on}

    def clean(self) -> None:
        super().clean()
        if self.valid_until and self.given_on and self.valid_until < self.given_on:
            raise ValidationError(
                {"valid_until": _("A consent cannot end before the day it was given.")}
            )

    def save(self, *args, **kwargs) -> None:
        # Every path that records a consent (admin, import, demo) gets the same default.
        if self.valid_until is None and self.given_on is not None:
            self.valid_until = school_year_end(self.given_on)
        super().save(*args, **kwargs)

    # The audit trail labels this record's changes with these states.
    audit_states = ConsentState

    @property
    def is_expired(self) -> bool:
        return self.valid_until is not None and self.valid_until < timezone.localdate()

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None and not self.is_expired

    @property
    def state(self) -> str:
        if self.withdrawn_at is not None:
            return ConsentState.WITHDRAWN
        return ConsentState.EXPIRED if self.is_expired else ConsentState.IN_FORCE
