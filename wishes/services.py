"""Every state change of a wish or claim: lock, check, change, record, then mail."""

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from huamu.mail import notify_staff, send_after_commit
from sponsors.models import Sponsor, SponsorKind, VerificationStatus
from sponsors.services import sponsor_addresses
from wishes.audit import record_change
from wishes.models import (
    Claim,
    ClaimChannel,
    ClaimStatus,
    Consent,
    Event,
    Fulfilment,
    Wish,
    WishStatus,
)


def _lock_wish(wish_id: int) -> Wish:
    try:
        return Wish.objects.select_for_update().get(pk=wish_id)
    except Wish.DoesNotExist:
        raise TransitionError(_("This wish does not exist.")) from None


def _lock_claim(claim_id: int) -> Claim:
    try:
        return Claim.objects.select_for_update().get(pk=claim_id)
    except Claim.DoesNotExist:
        raise TransitionError(_("This claim does not exist.")) from None


def _lock_wish_and_claim(claim_id: int) -> tuple[Wish, Claim]:
    """Lock a claim's wish, then the claim: the order withdraw_wish uses too."""
    # Taking the two locks in opposite orders in two services deadlocks on PostgreSQL when
    # staff withdraw a wish while its claim is being cancelled or fulfilled.
    wish_id = Claim.objects.filter(pk=claim_id).values_list("wish_id", flat=True).first()
    if wish_id is None:
        raise TransitionError(_("This claim does not exist."))
    wish = _lock_wish(wish_id)
    return wish, _lock_claim(claim_id)


def _set_wish_status(wish: Wish, to: str, *, by, note: str = "", fields=()) -> None:
    previous = wish.status
    wish.status = to
    wish.save(update_fields=["status", "updated_at", *fields])
    record_change(subject=wish, from_status=previous, to_status=to, by=by, note=note)


def _set_claim_status(claim: Claim, to: str, *, by, note: str = "", fields=()) -> None:
    previous = claim.status
    claim.status = to
    claim.save(update_fields=["status", "updated_at", *fields])
    record_change(subject=claim, from_status=previous, to_status=to, by=by, note=note)


def _may_be_public(wish: Wish) -> bool:
    """Whether the guardian's consent to publish is in force and the record is kept."""
    return (
        wish.child.withdrawn_at is None
        and Consent.objects.in_force()
        .filter(child_id=wish.child_id, keep_record=True, publish_wish=True)
        .exists()
    )


def active_claim_limit(sponsor: Sponsor) -> int:
    """How many active claims a sponsor may hold at once."""
    if sponsor.kind == SponsorKind.INDIVIDUAL:
        return settings.HUAMU_MAX_ACTIVE_CLAIMS_INDIVIDUAL
    return settings.HUAMU_MAX_ACTIVE_CLAIMS_UNIT


@transaction.atomic
def publish_wish(*, wish_id: int, by: AbstractBaseUser) -> Wish:
    """Put a draft wish in the public pool; needs the guardian's consent to publish."""
    wish = _lock_wish(wish_id)
    if wish.status != WishStatus.DRAFT:
        raise TransitionError(
            _("Only a draft can be published; this wish is %(status)s.")
            % {"status": wish.get_status_display()}
        )
    if wish.child.withdrawn_at is not None:
        raise TransitionError(_("The child's record has been withdrawn."))
    if not _may_be_public(wish):
        raise TransitionError(
            _("The guardian has not consented to publishing this wish; record the consent first.")
        )
    if not wish.public_text.strip():
        raise TransitionError(_("Write and check the public text before publishing."))
    wish.published_at = timezone.now()
    _set_wish_status(wish, WishStatus.OPEN, by=by, fields=["published_at"])
    return wish


@transaction.atomic
def withdraw_wish(*, wish_id: int, by: AbstractBaseUser, reason: str) -> Wish:
    """Take a wish out of the programme; an active claim is cancelled and its sponsor told."""
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Please give a reason for withdrawing the wish."))
    wish = _lock_wish(wish_id)
    if wish.status in (WishStatus.FULFILLED, WishStatus.WITHDRAWN):
        raise TransitionError(
            _("A wish that is %(status)s cannot be withdrawn.")
            % {"status": wish.get_status_display()}
        )
    claim = Claim.objects.select_for_update().filter(wish=wish, status=ClaimStatus.ACTIVE).first()
    if claim is not None:
        claim.cancel_reason = reason
        _set_claim_status(
            claim, ClaimStatus.CANCELLED, by=by, note=reason, fields=["cancel_reason"]
        )
        send_after_commit(
            to=sponsor_addresses(claim.sponsor),
            template="claim_cancelled_sponsor",
            context={"claim": claim, "wish": wish, "reason": reason},
            language=claim.sponsor.language,
        )
    _set_wish_status(wish, WishStatus.WITHDRAWN, by=by, note=reason)
    return wish


def _check_may_claim(sponsor: Sponsor, wanted: int) -> None:
    if sponsor.status != VerificationStatus.VERIFIED:
        raise TransitionError(_("Only verified sponsors can claim wishes."))
    held = Claim.objects.filter(sponsor=sponsor, status=ClaimStatus.ACTIVE).count()
    limit = active_claim_limit(sponsor)
    if held + wanted > limit:
        raise TransitionError(
            _(
                "You already hold %(held)d active claims; the limit is %(limit)d. "
                "Fulfil or cancel some before claiming more."
            )
            % {"held": held, "limit": limit}
        )


def _claim_locked(
    wish: Wish,
    sponsor: Sponsor,
    *,
    by,
    promised_on: datetime.date | None,
    channel: str,
    external_ref: str = "",
    claimant_name: str = "",
) -> Claim:
    if wish.status == WishStatus.CLAIMED:
        raise TransitionError(
            _("Wish %(code)s has just been claimed by someone else.") % {"code": wish.code}
        )
    if wish.status != WishStatus.OPEN:
        # A draft, fulfilled or withdrawn wish was not taken by anybody: say what it is.
        raise TransitionError(
            _("Wish %(code)s is not waiting to be claimed; it is %(status)s.")
            % {"code": wish.code, "status": wish.get_status_display()}
        )
    if not _may_be_public(wish):
        # The guardian withdrew consent (or the record) after publishing: the wish is hidden.
        raise TransitionError(
            _("Wish %(code)s is no longer published and cannot be claimed.") % {"code": wish.code}
        )
    try:
        # A savepoint, so that the constraint's refusal leaves the outer transaction usable.
        with transaction.atomic():
            claim = Claim.objects.create(
                wish=wish,
                sponsor=sponsor,
                channel=channel,
                external_ref=external_ref,
                claimant_name=claimant_name,
                promised_on=promised_on,
                claimed_by=by if by is not None and by.is_authenticated else None,
            )
    except IntegrityError:
        # The partial unique index is the last word: a second active claim never exists.
        raise TransitionError(
            _("Wish %(code)s has just been claimed by someone else.") % {"code": wish.code}
        ) from None
    record_change(subject=claim, from_status="", to_status=ClaimStatus.ACTIVE, by=by)
    _set_wish_status(wish, WishStatus.CLAIMED, by=by)
    return claim


@transaction.atomic
def claim_wish(
    *,
    wish_id: int,
    sponsor: Sponsor,
    by: AbstractBaseUser | None,
    promised_on: datetime.date | None = None,
    channel: str = ClaimChannel.ONLINE,
    external_ref: str = "",
    claimant_name: str = "",
) -> Claim:
    """Give an open wish to a verified sponsor; exactly one of two racing sponsors wins."""
    external_ref = external_ref.strip()
    # Checked here so that staff get a clear message rather than the constraint's refusal,
    # which _claim_locked can only report as "claimed by someone else".
    if channel == ClaimChannel.CITY_PLATFORM and not external_ref:
        raise TransitionError(_("A claim made on the city platform needs its reference number."))
    if external_ref and Claim.objects.filter(channel=channel, external_ref=external_ref).exists():
        raise TransitionError(
            _("Reference %(ref)s is already recorded on another claim.") % {"ref": external_ref}
        )
    # Lock the sponsor first so that its claim limit holds under concurrent claims.
    sponsor = Sponsor.objects.select_for_update().get(pk=sponsor.pk)
    _check_may_claim(sponsor, wanted=1)
    wish = _lock_wish(wish_id)
    claim = _claim_locked(
        wish,
        sponsor,
        by=by,
        promised_on=promised_on,
        channel=channel,
        external_ref=external_ref,
        claimant_name=claimant_name,
    )
    notify_staff(template="claim_new", context={"claims": [claim], "sponsor": sponsor})
    return claim


@transaction.atomic
def claim_wishes(
    *,
    wish_ids: list[int],
    sponsor: Sponsor,
    by: AbstractBaseUser,
    promised_on: datetime.date | None = None,
) -> list[Claim]:
    """Claim several open wishes at once, all or nothing; the error names every taken wish."""
    wish_ids = sorted(set(wish_ids))
    if not wish_ids:
        raise TransitionError(_("Choose at least one wish."))
    sponsor = Sponsor.objects.select_for_update().get(pk=sponsor.pk)
    _check_may_claim(sponsor, wanted=len(wish_ids))
    # Lock in id order so that two batch claims cannot deadlock each other.
    wishes = list(Wish.objects.select_for_update().filter(pk__in=wish_ids).order_by("pk"))
    taken = [w.code for w in wishes if w.status != WishStatus.OPEN]
    if len(wishes) != len(wish_ids) or taken:
        raise TransitionError(
            _("Nothing was claimed: these wishes are no longer open: %(codes)s.")
            % {"codes": ", ".join(taken) or "—"}
        )
    claims = [
        _claim_locked(w, sponsor, by=by, promised_on=promised_on, channel=ClaimChannel.ONLINE)
        for w in wishes
    ]
    notify_staff(template="claim_new", context={"claims": claims, "sponsor": sponsor})
    return claims


@transaction.atomic
def cancel_claim(*, claim_id: int, by: AbstractBaseUser, reason: str) -> Claim:
    """Cancel an active claim with a reason; the wish goes back to the open pool."""
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Please give a reason for the cancellation."))
    wish, claim = _lock_wish_and_claim(claim_id)
    if claim.status != ClaimStatus.ACTIVE:
        raise TransitionError(
            _("Only an active claim can be cancelled; this one is %(status)s.")
            % {"status": claim.get_status_display()}
        )
    claim.cancel_reason = reason
    _set_claim_status(claim, ClaimStatus.CANCELLED, by=by, note=reason, fields=["cancel_reason"])
    _set_wish_status(wish, WishStatus.OPEN, by=by, note=reason)
    notify_staff(template="claim_cancelled", context={"claim": claim, "reason": reason})
    return claim


@transaction.atomic
def record_fulfilment(
    *,
    claim_id: int,
    by: AbstractBaseUser,
    fulfilled_on: datetime.date,
    event: Event | None = None,
    note: str = "",
) -> Fulfilment:
    """Record that a claimed wish came true; the claim and the wish become fulfilled."""
    wish, claim = _lock_wish_and_claim(claim_id)
    if claim.status != ClaimStatus.ACTIVE:
        raise TransitionError(
            _("Only an active claim can be fulfilled; this one is %(status)s.")
            % {"status": claim.get_status_display()}
        )
    if fulfilled_on > timezone.localdate():
        raise TransitionError(_("The fulfilment date cannot be in the future."))
    fulfilment = Fulfilment.objects.create(
        claim=claim, fulfilled_on=fulfilled_on, event=event, note=note, recorded_by=by
    )
    _set_claim_status(claim, ClaimStatus.FULFILLED, by=by)
    _set_wish_status(wish, WishStatus.FULFILLED, by=by)
    send_after_commit(
        to=sponsor_addresses(claim.sponsor),
        template="wish_fulfilled",
        context={"claim": claim, "wish": wish, "fulfilment": fulfilment},
        language=claim.sponsor.language,
    )
    return fulfilment
