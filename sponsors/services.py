"""State changes of sponsors: verification and rejection."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from huamu.mail import send_after_commit
from sponsors.models import Sponsor, VerificationStatus
from wishes.audit import record_change


def sponsor_addresses(sponsor: Sponsor) -> list[str]:
    """Every address that should hear about a sponsor: its own and its members'."""
    member_mail = [m.user.email for m in sponsor.members.select_related("user")]
    return sorted({sponsor.email, *member_mail} - {""})


def _lock_sponsor(sponsor_id: int) -> Sponsor:
    try:
        return Sponsor.objects.select_for_update().get(pk=sponsor_id)
    except Sponsor.DoesNotExist:
        raise TransitionError(_("This sponsor does not exist.")) from None


@transaction.atomic
def verify_sponsor(*, sponsor_id: int, by: AbstractBaseUser) -> Sponsor:
    """Let a pending (or earlier rejected) sponsor claim wishes, and tell them."""
    sponsor = _lock_sponsor(sponsor_id)
    if sponsor.status == VerificationStatus.VERIFIED:
        raise TransitionError(_("%(name)s is already verified.") % {"name": sponsor.name})
    previous = sponsor.status
    sponsor.status = VerificationStatus.VERIFIED
    sponsor.decided_by = by
    sponsor.decided_at = timezone.now()
    sponsor.rejection_reason = ""
    sponsor.save(
        update_fields=["status", "decided_by", "decided_at", "rejection_reason", "updated_at"]
    )
    record_change(subject=sponsor, from_status=previous, to_status=sponsor.status, by=by)
    send_after_commit(
        to=sponsor_addresses(sponsor),
        template="sponsor_verified",
        context={"sponsor": sponsor},
        language=sponsor.language,
    )
    return sponsor


@transaction.atomic
def reject_sponsor(*, sponsor_id: int, by: AbstractBaseUser, reason: str) -> Sponsor:
    """Refuse a pending sponsor (or withdraw a verification) with a reason, and tell them."""
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Please give a reason for the rejection."))
    sponsor = _lock_sponsor(sponsor_id)
    if sponsor.status == VerificationStatus.REJECTED:
        raise TransitionError(_("%(name)s is already rejected.") % {"name": sponsor.name})
    previous = sponsor.status
    sponsor.status = VerificationStatus.REJECTED
    sponsor.decided_by = by
    sponsor.decided_at = timezone.now()
    sponsor.rejection_reason = reason
    sponsor.save(
        update_fields=["status", "decided_by", "decided_at", "rejection_reason", "updated_at"]
    )
    record_change(
        subject=sponsor, from_status=previous, to_status=sponsor.status, by=by, note=reason
    )
    send_after_commit(
        to=sponsor_addresses(sponsor),
        template="sponsor_rejected",
        context={"sponsor": sponsor, "reason": reason},
        language=sponsor.language,
    )
    return sponsor
