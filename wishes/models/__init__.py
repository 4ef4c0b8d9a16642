"""Children, their wishes, claims, fulfilment, letters and the audit trail."""

import uuid

from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from huamu.models import TimeStampedModel
from sponsors.models import Sponsor, mainland_phone_validator


def _private_name(folder: str, extension: str) -> str:
    # The server names every file: nothing of the uploader's file name is kept.
    return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


def photo_path(instance, filename: str) -> str:
    return _private_name("photos", filename.rsplit(".", 1)[-1].lower())


def letter_path(instance, filename: str) -> str:
    return _private_name("letters", filename.rsplit(".", 1)[-1].lower())


class RegionKind(models.TextChoices):
    SUBDISTRICT = "subdistrict", _("Sub-district")
    TOWN = "town", _("Town")


class Region(TimeStampedModel):
    """A sub-district or town (街镇) of a child, a sponsor or a practice centre."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=RegionKind, default=RegionKind.SUBDISTRICT
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=RegionKind.values), name="region_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class School(TimeStampedModel):
    """Where a child studies; coordinators belong to one school."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    region = models.ForeignKey(
        Region, models.PROTECT, related_name="schools", verbose_name=_("region")
    )

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SchoolCoordinator(TimeStampedModel):
    """A user who records fulfilment for the children of one school."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="school_coordinator",
        verbose_name=_("user"),
    )
    school = models.ForeignKey(
        School, models.PROTECT, related_name="coordinators", verbose_name=_("school")
    )

    class Meta:
        verbose_name = _("school coordinator")
        verbose_name_plural = _("school coordinators")

    def __str__(self) -> str:
        return f"{self.user} ({self.school})"


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
        return {
            cls.LOWER: (1, 2),
            cls.MIDDLE: (3, 4),
            cls.UPPER: (5, 5),
            cls.JUNIOR: (6, 9),
        }[band]

    @classmethod
    def of(cls, grade: int) -> "GradeBand":
        for band in cls:
            low, high = cls.grades(band)
            if low <= grade <= high:
                return band
        return cls.JUNIOR


class ChildQuerySet(models.QuerySet):
    def active(self) -> "ChildQuerySet":
        return self.filter(withdrawn_at__isnull=True)


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
    guardian_name = models.CharField(_("guardian's name"), max_length=40)
    guardian_phone = models.CharField(
        _("guardian's phone"), max_length=20, validators=[mainland_phone_validator]
    )
    hardship_category = models.CharField(
        _("hardship category"), max_length=16, choices=HardshipCategory
    )
    hardship_note = models.TextField(_("hardship details"), blank=True)
    public_location = models.CharField(
        _("location shown to the public"),
        max_length=8,
        choices=PublicLocation,
        default=PublicLocation.REGION,
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("dream child")
        verbose_name_plural = _("dream children")
        ordering = ["school", "grade", "alias"]
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

    @property
    def grade_band(self) -> GradeBand:
        return GradeBand.of(self.grade)


class ConsentMethod(models.TextChoices):
    PAPER = "paper", _("Signed paper form")
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")
    ONLINE = "online", _("Online")


class ConsentState(models.TextChoices):
    """The states of a consent as the audit trail records them (it has no status field)."""

    IN_FORCE = "in_force", _("In force")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentQuerySet(models.QuerySet):
    def in_force(self) -> "ConsentQuerySet":
        return self.filter(withdrawn_at__isnull=True)


class Consent(TimeStampedModel):
    """A guardian's consent for one child, with separate scopes."""

    child = models.ForeignKey(
        Child, models.PROTECT, related_name="consents", verbose_name=_("child")
    )
    keep_record = models.BooleanField(_("keep the child's record"), default=True)
    publish_wish = models.BooleanField(_("publish the wish (anonymised)"), default=False)
    share_photos_with_sponsor = models.BooleanField(
        _("share fulfilment photos with the sponsor"), default=False
    )
    publish_photos = models.BooleanField(_("publish photos"), default=False)
    method = models.CharField(_("how it was given"), max_length=16, choices=ConsentMethod)
    given_on = models.DateField(_("given on"))
    given_by = models.CharField(_("given by (guardian)"), max_length=40)
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

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=ConsentMethod.values), name="consent_method_valid"
            ),
        ]

    def __str__(self) -> str:
        return gettext("Consent of %(date)s") % {"date": self.given_on}

    # The audit trail labels this record's changes with these states.
    audit_states = ConsentState

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None

    @property
    def state(self) -> str:
        return ConsentState.IN_FORCE if self.in_force else ConsentState.WITHDRAWN


class Campaign(TimeStampedModel):
    """A yearly round of the programme (圆梦季)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    name = models.CharField(_("name"), max_length=80)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="campaign_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WishCategory(models.TextChoices):
    STUDY = "study", _("Study supplies")
    BOOKS = "books", _("Books")
    SPORTS = "sports", _("Sports")
    ARTS = "arts", _("Arts and music")
    ELECTRONICS = "electronics", _("Electronics")
    CLOTHING = "clothing", _("Clothing")
    DAILY = "daily", _("Daily necessities")
    EXPERIENCE = "experience", _("Visit or experience")
    OTHER = "other", _("Other")


class WishStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Waiting to be claimed")
    CLAIMED = "claimed", _("Claimed")
    FULFILLED = "fulfilled", _("Fulfilled")
    WITHDRAWN = "withdrawn", _("Withdrawn")


PUBLISHED_STATUSES = [WishStatus.OPEN, WishStatus.CLAIMED, WishStatus.FULFILLED]


class WishQuerySet(models.QuerySet):
    def open(self) -> "WishQuerySet":
        return self.filter(status=WishStatus.OPEN)


class Wish(TimeStampedModel):
    """What a child asked for (心愿); the public sees only its redacted text."""

    code = models.CharField(_("wish code"), max_length=20, unique=True, blank=True)
    child = models.ForeignKey(
        Child, models.PROTECT, related_name="wishes", verbose_name=_("child")
    )
    campaign = models.ForeignKey(
        Campaign, models.PROTECT, related_name="wishes", verbose_name=_("campaign")
    )
    category = models.CharField(_("category"), max_length=16, choices=WishCategory)
    child_words = models.TextField(
        _("the child's own words"), help_text=_("Private: as the child wrote it.")
    )
    public_text = models.TextField(
        _("public text"),
        blank=True,
        help_text=_(
            "What the public sees, with anything that names or locates the child removed."
        ),
    )
    estimated_value = models.DecimalField(
        _("estimated value (yuan)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    status = models.CharField(
        _("status"), max_length=16, choices=WishStatus, default=WishStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    objects = WishQuerySet.as_manager()

    class Meta:
        verbose_name = _("wish")
        verbose_name_plural = _("wishes")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "published_at"], name="wish_status_published"),
            # The waiting wishes of one category, longest waiting first: the list filtered by
            # category and the similar wishes offered beside a wish.
            models.Index(
                fields=["status", "category", "published_at"],
                name="wish_status_category_published",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=WishStatus.values), name="wish_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=WishCategory.values), name="wish_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(estimated_value__gte=0), name="wish_value_not_negative"
            ),
            # A wish the public can see always has a reviewed public text and a date.
            models.CheckConstraint(
                condition=(
                    ~Q(status__in=PUBLISHED_STATUSES)
                    | (~Q(public_text="") & Q(published_at__isnull=False))
                ),
                name="wish_published_has_text_and_date",
            ),
        ]

    def __str__(self) -> str:
        return self.code or gettext("New wish")

    def get_absolute_url(self) -> str:
        return reverse("wishes:detail", args=[self.pk])

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        if not self.code:
            # The code is public and stable: campaign year plus the row number.
            self.code = f"HM{self.campaign.year}-{self.pk:05d}"
            Wish.objects.filter(pk=self.pk).update(code=self.code)


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


class ClaimStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


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
        constraints = [
            models.UniqueConstraint(
                fields=["wish"],
                condition=Q(status=ClaimStatus.ACTIVE),
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
    transcription = models.TextField(_("transcription"), blank=True)
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


class AccessAction(models.TextChoices):
    VIEW_CHILD = "view_child", _("Viewed a child's record")
    VIEW_PHOTO = "view_photo", _("Viewed a photo")
    VIEW_LETTER = "view_letter", _("Viewed a thank-you letter")


class AccessLog(models.Model):
    """Who looked at a child's record, photo or letter, when and from where."""

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
    object_id = models.PositiveBigIntegerField(_("record id"))
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
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} #{self.object_id}"


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


def import_path(instance, filename: str) -> str:
    return _private_name("imports", filename.rsplit(".", 1)[-1].lower()[:5])


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
        return f"{self.from_status or '∅'} → {self.to_status}"
