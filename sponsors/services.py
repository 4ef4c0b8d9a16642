"""State changes of sponsors: verification and rejection, and a member's notification
preferences."""

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from huamu.mail import notify_staff
from huamu.phones import is_mobile, mask_phone
from sponsors.models import (
    NotificationChannel,
    NotificationPreference,
    Sponsor,
    VerificationStatus,
)
from sponsors.notifications import notify_sponsor
from wishes.audit import record_change, set_status
from wishes.models import Claim, Wish
from wishes.services import release_claims_of_sponsor

# What a verification decision writes besides the status.
DECISION_FIELDS = ["decided_by", "decided_at", "rejection_reason"]


def _lock_sponsor(sponsor_id: int) -> Sponsor:
    try:
        return Sponsor.objects.select_for_update().get(pk=sponsor_id)
    except Sponsor.DoesNotExist:
        raise TransitionError(_("This sponsor does not exist.")) from None


@transaction.atomic
def verify_sponsor(*, sponsor_id: int, by: User) -> Sponsor:
    """Let a pending (or earlier rejected) sponsor claim wishes, and tell them."""
    sponsor = _lock_sponsor(sponsor_id)
    if sponsor.status == VerificationStatus.VERIFIED:
        raise TransitionError(_("%(name)s is already verified.") % {"name": sponsor.name})
    sponsor.decided_by = by
    sponsor.decided_at = timezone.now()
    sponsor.rejection_reason = ""
    set_status(sponsor, VerificationStatus.VERIFIED, by=by, fields=DECISION_FIELDS)
    notify_sponsor(sponsor, message="sponsor_verified", context={"sponsor": sponsor})
    return sponsor


def _given_back(claims: list[Claim]) -> list[dict[str, str]]:
    """The code and public alias of each released wish: all the sponsor's mail may say."""
    if not claims:
        return []
    aliases = dict(
        Wish.objects.filter(pk__in=[c.wish_id for c in claims]).values_list("pk", "child__alias")
    )
    return [{"code": c.wish.code, "alias": aliases[c.wish_id]} for c in claims]


@transaction.atomic
def reject_sponsor(
    *, sponsor_id: int, by: User, reason: str, release_claims: bool = False
) -> Sponsor:
    """Refuse a pending sponsor (or withdraw a verification) with a reason, and tell them.

    With `release_claims`, every active claim of the sponsor is cancelled in the same
    transaction and its wish is open again; the cancelled claims are left in
    `sponsor.released_claims` (empty otherwise). Either all of it happens, or nothing.
    """
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Please give a reason for the rejection."))
    sponsor = _lock_sponsor(sponsor_id)
    if sponsor.status == VerificationStatus.REJECTED:
        raise TransitionError(_("%(name)s is already rejected.") % {"name": sponsor.name})
    previous = sponsor.status
    sponsor.decided_by = by
    sponsor.decided_at = timezone.now()
    sponsor.rejection_reason = reason
    set_status(sponsor, VerificationStatus.REJECTED, by=by, note=reason, fields=DECISION_FIELDS)
    released: list[Claim] = []
    if release_claims:
        note = _("Sponsor's verification withdrawn: %(reason)s") % {"reason": reason}
        released = release_claims_of_sponsor(sponsor=sponsor, by=by, note=note)
    sponsor.released_claims = released
    notify_sponsor(
        sponsor,
        message="sponsor_rejected",
        context={
            "sponsor": sponsor,
            "reason": reason,
            "released": _given_back(released),
            "was_verified": previous == VerificationStatus.VERIFIED,
        },
    )
    if released:
        # One message for the whole batch, not one claim_cancelled mail per claim.
        notify_staff(
            template="sponsor_rejected_staff",
            context={"sponsor": sponsor, "claims": released, "reason": reason},
        )
    return sponsor


@transaction.atomic
def set_notification_preference(
    *, user: User, channel: str, language: str, mobile: str, by: User
) -> NotificationPreference:
    """Store how a person wants to be told, and record the change in the audit trail."""
    if channel not in NotificationChannel.values:
        raise TransitionError(_("Choose e-mail, text messages or both."))
    if language not in dict(settings.LANGUAGES):
        raise TransitionError(_("Choose one of the site's languages."))
    if mobile and not is_mobile(mobile):
        raise TransitionError(_("Text messages can only go to a mobile number, not a landline."))
    if channel != NotificationChannel.EMAIL and not mobile:
        raise TransitionError(_("Enter your mobile number to receive text messages."))
    preference, created = NotificationPreference.objects.select_for_update().get_or_create(
        user=user, defaults={"channel": channel, "language": language, "mobile": mobile}
    )
    before = "" if created else preference.channel
    changed = created or (preference.channel, preference.language, preference.mobile) != (
        channel,
        language,
        mobile,
    )
    if not changed:
        return preference
    preference.channel, preference.language, preference.mobile = channel, language, mobile
    preference.save(update_fields=["channel", "language", "mobile", "updated_at"])
    note = _("Language: %(language)s; mobile: %(mobile)s") % {
        "language": dict(settings.LANGUAGES)[language],
        "mobile": mask_phone(mobile) if mobile else "—",
    }
    record_change(subject=preference, from_status=before, to_status=channel, by=by, note=note)
    return preference
