"""Sponsors (认领方): caring units and individuals, and their verification."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huamu.models import TimeStampedModel
from huamu.phones import PhoneNumberField, PhoneValidator, mask_phone
from huamu.roles import display_name_of

if TYPE_CHECKING:  # wishes.models imports this module
    from wishes.models import Claim

# The name the phone check had before huamu.phones; kept for code that still imports it.
mainland_phone_validator = PhoneValidator()


class SponsorKind(models.TextChoices):
    UNIT = "unit", _("Caring unit")
    INDIVIDUAL = "individual", _("Caring individual")


class UnitCategory(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    GOVERNMENT_AGENCY = "government_agency", _("Government agency")
    COMMUNITY_ORGANISATION = "community_organisation", _("Community organisation")
    SCHOOL = "school", _("School")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")


class VerificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending verification")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class Sponsor(TimeStampedModel):
    """A unit or an individual that claims wishes; it may claim once verified."""

    kind = models.CharField(_("kind"), max_length=16, choices=SponsorKind)
    name = models.CharField(_("name"), max_length=120)
    unit_category = models.CharField(
        _("unit category"), max_length=32, choices=UnitCategory, blank=True
    )
    region = models.ForeignKey(
        "wishes.Region",
        models.PROTECT,
        related_name="sponsors",
        verbose_name=_("region"),
        null=True,
        blank=True,
    )
    contact_name = models.CharField(_("contact person"), max_length=60)
    phone = PhoneNumberField(_("phone"))
    # Optional: a sponsor who signed up by phone may have none.
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(
        _("language for e-mail"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("verification status"),
        max_length=16,
        choices=VerificationStatus,
        default=VerificationStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    # Where the person was when they signed up (a wish's claim page, from a scanned card):
    # the verification e-mail links back to it. A path on this site, checked on the way in.
    return_to = models.CharField(_("page to return to"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sponsor")
        verbose_name_plural = _("sponsors")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=VerificationStatus.values), name="sponsor_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SponsorKind.values), name="sponsor_kind_valid"
            ),
            # A unit says what kind of unit it is; an individual has no unit category.
            models.CheckConstraint(
                condition=(
                    Q(kind=SponsorKind.UNIT, unit_category__in=UnitCategory.values)
                    | Q(kind=SponsorKind.INDIVIDUAL, unit_category="")
                ),
                name="sponsor_unit_category_matches_kind",
            ),
        ]

    # Set by sponsors.services.reject_sponsor: the claims it released (the admin says so).
    released_claims: "list[Claim]"

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.status == VerificationStatus.VERIFIED

    @property
    def is_unit(self) -> bool:
        return self.kind == SponsorKind.UNIT

    def addresses(self) -> list[str]:
        """Every address that should hear about this sponsor: its own and its members'."""
        member_mail = [m.user.email for m in self.members.current().select_related("user")]
        return sorted({self.email, *member_mail} - {""})

    def administrator_addresses(self) -> list[str]:
        """The addresses of the unit's administrators (the unit's own if none has one)."""
        mail = [
            m.user.email
            for m in self.members.filter(role=MemberRole.ADMINISTRATOR).select_related("user")
        ]
        return sorted(set(mail) - {""}) or [self.email]


class MemberRole(models.TextChoices):
    """A member's place in the unit's team; a removed member keeps the row, not the rights."""

    ADMINISTRATOR = "administrator", _("Unit administrator")
    MEMBER = "member", _("Member")
    REMOVED = "removed", _("Removed from the team")


class MemberQuerySet(models.QuerySet["SponsorMember"]):
    def current(self) -> "MemberQuerySet":
        """Members who act for their sponsor now (administrators and members)."""
        return self.exclude(role=MemberRole.REMOVED)


class SponsorMember(TimeStampedModel):
    """Links a user account to the sponsor it acts for; a unit has several members."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="sponsor_member",
        verbose_name=_("user"),
    )
    sponsor = models.ForeignKey(
        Sponsor, models.PROTECT, related_name="members", verbose_name=_("sponsor")
    )
    role = models.CharField(
        _("role in the team"), max_length=16, choices=MemberRole, default=MemberRole.MEMBER
    )

    objects = MemberQuerySet.as_manager()

    # Joining, role changes and removal are recorded on the member in the audit trail.
    audit_states = MemberRole

    class Meta:
        verbose_name = _("sponsor member")
        verbose_name_plural = _("sponsor members")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=MemberRole.values), name="sponsor_member_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.sponsor}"

    @property
    def is_current(self) -> bool:
        return self.role != MemberRole.REMOVED

    @property
    def is_administrator(self) -> bool:
        return self.role == MemberRole.ADMINISTRATOR

    @property
    def display_name(self) -> str:
        return display_name_of(self.user)


class InviteStatus(models.TextChoices):
    ACTIVE = "active", _("Open")
    USED = "used", _("Used")
    REVOKED = "revoked", _("Revoked")


class TeamInvite(TimeStampedModel):
    """A link (and QR code) by which one colleague may ask to join a unit, until it expires."""

    sponsor = models.ForeignKey(
        Sponsor, models.PROTECT, related_name="invites", verbose_name=_("sponsor")
    )
    token = models.CharField(_("token"), max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=InviteStatus, default=InviteStatus.ACTIVE
    )
    expires_at = models.DateTimeField(_("expires at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    note = models.CharField(
        _("for whom"),
        max_length=120,
        blank=True,
        help_text=_("A reminder for you, e.g. the colleague's name; they do not see it."),
    )

    class Meta:
        verbose_name = _("team invitation")
        verbose_name_plural = _("team invitations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InviteStatus.values), name="team_invite_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sponsor} · {self.created_at:%Y-%m-%d}"

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())


class JoinStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class JoinRequest(TimeStampedModel):
    """A colleague's request, made through an invitation, to join a unit's team."""

    sponsor = models.ForeignKey(
        Sponsor, models.PROTECT, related_name="join_requests", verbose_name=_("sponsor")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="join_requests",
        verbose_name=_("user"),
    )
    invite = models.OneToOneField(
        TeamInvite, models.PROTECT, related_name="join_request", verbose_name=_("invitation")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=JoinStatus, default=JoinStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JoinStatus.values), name="join_request_status_valid"
            ),
            # A user waits for one unit at a time.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status=JoinStatus.PENDING),
                name="one_pending_join_request_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.sponsor}"


class PhoneState(models.TextChoices):
    """The one state of a login phone in the audit trail (the note says old → new)."""

    SET = "set", _("Login phone set")


class VerifiedPhone(TimeStampedModel):
    """The mobile number a person logs in with, proved by a text-message code.

    It belongs to a user, not to a sponsor: a unit's own phone (`Sponsor.phone`, often a
    shared landline) may be anyone's, while one number logs in to one account only.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="verified_phone",
        verbose_name=_("user"),
    )
    phone = PhoneNumberField(_("mobile number"), unique=True)

    # Adding or changing the number is recorded on it in the audit trail (masked numbers).
    audit_states = PhoneState

    class Meta:
        verbose_name = _("login phone")
        verbose_name_plural = _("login phones")

    def __str__(self) -> str:
        return mask_phone(self.phone)


class PhoneCode(models.Model):
    """A text-message code sent to a number; only its keyed hash is kept."""

    phone = PhoneNumberField(_("mobile number"))
    code_hash = models.CharField(_("code hash"), max_length=128, editable=False)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    # Where the request came from (huamu.net.client_ip), for the per-address limit.
    ip_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)

    class Meta:
        verbose_name = _("text-message code")
        verbose_name_plural = _("text-message codes")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["phone", "created_at"], name="phone_code_phone_sent"),
            models.Index(fields=["ip_address", "created_at"], name="phone_code_address_sent"),
        ]

    def __str__(self) -> str:
        return f"{mask_phone(self.phone)} · {self.created_at:%Y-%m-%d %H:%M}"


class NotificationChannel(models.TextChoices):
    """How a person wants to hear about their claims, letters and team: one choice for all."""

    EMAIL = "email", _("By e-mail")
    SMS = "sms", _("By text message (SMS)")
    BOTH = "both", _("By e-mail and text message")


class NotificationPreference(TimeStampedModel):
    """One person's choice of channel and language for what the site tells them.

    Without a row a person is told by e-mail in their sponsor's language (the default of
    sponsors.notifications).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    channel = models.CharField(
        _("how to tell you"),
        max_length=8,
        choices=NotificationChannel,
        default=NotificationChannel.EMAIL,
    )
    language = models.CharField(
        _("language of the messages"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    mobile = PhoneNumberField(_("mobile number for text messages"), blank=True)

    # A change of channel is recorded in the audit trail with the language and number.
    audit_states = NotificationChannel

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=NotificationChannel.values),
                name="notification_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="notification_language_valid",
            ),
            # Text messages need a number to go to.
            models.CheckConstraint(
                condition=Q(channel=NotificationChannel.EMAIL) | ~Q(mobile=""),
                name="notification_sms_needs_mobile",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_channel_display()}"

    @property
    def by_email(self) -> bool:
        return self.channel in (NotificationChannel.EMAIL, NotificationChannel.BOTH)

    @property
    def by_sms(self) -> bool:
        return self.channel in (NotificationChannel.SMS, NotificationChannel.BOTH)
