"""Claims: a sponsor takes an open wish, one at a time or several at once, and gives it back.

Exactly one of two racing sponsors wins a wish: the sponsor row is locked for its claim
limit, the wish for its status, and a partial unique index has the last word.
"""

import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from huamu.mail import notify_staff
from huamu.roles import display_name_of, is_office_staff
from sponsors.models import (
    MemberRole,
    Sponsor,
    SponsorKind,
    SponsorMember,
    VerificationStatus,
)
from sponsors.notifications import notify_sponsor
from wishes.audit import record_change, set_status
from wishes.claiming.handover import HandoverLine, handovers_for, point_passages
from wishes.models import (
    LIVE_CLAIM_STATUSES,
    Campaign,
    Child,
    Claim,
    ClaimChannel,
    ClaimStatus,
    Event,
    Wish,
    WishStatus,
)
from wishes.privacy.guard import REASON_TEXT, check_text, screen_for
from wishes.reports import tallies
from wishes.services import locks
from wishes.services.wishes import may_be_public


def active_claim_limit(sponsor: Sponsor) -> int:
    """How many active claims a sponsor may hold at once."""
    if sponsor.kind == SponsorKind.INDIVIDUAL:
        return settings.HUAMU_MAX_ACTIVE_CLAIMS_INDIVIDUAL
    return settings.HUAMU_MAX_ACTIVE_CLAIMS_UNIT


def _check_may_claim(sponsor: Sponsor, wanted: int) -> None:
    if sponsor.status != VerificationStatus.VERIFIED:
        raise TransitionError(_("Only verified sponsors can claim wishes."))
    # A gift handed over no longer holds the sponsor's promise open: only active claims count.
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


def _member_of(sponsor: Sponsor, by: User | None) -> User | None:
    """The claiming user if they act for the sponsor (they fulfil it), else nobody (staff)."""
    if by is None or not by.is_authenticated:
        return None
    acts_for = SponsorMember.objects.current().filter(user=by, sponsor=sponsor).exists()
    return by if acts_for else None


def _claim_locked(
    wish: Wish,
    sponsor: Sponsor,
    *,
    by: User | None,
    promised_on: datetime.date | None,
    channel: str,
    external_ref: str = "",
    claimant_name: str = "",
    event: Event | None = None,
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
    if not may_be_public(wish):
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
                event=event,
                claimed_by=by if by is not None and by.is_authenticated else None,
                member=_member_of(sponsor, by),
            )
    except IntegrityError:
        # The partial unique index is the last word: a second active claim never exists.
        raise TransitionError(
            _("Wish %(code)s has just been claimed by someone else.") % {"code": wish.code}
        ) from None
    record_change(subject=claim, from_status="", to_status=ClaimStatus.ACTIVE, by=by)
    set_status(wish, WishStatus.CLAIMED, by=by)
    return claim


@transaction.atomic
def claim_wish(
    *,
    wish_id: int,
    sponsor: Sponsor,
    by: User | None,
    promised_on: datetime.date | None = None,
    channel: str = ClaimChannel.ONLINE,
    external_ref: str = "",
    claimant_name: str = "",
    event: Event | None = None,
) -> Claim:
    """Give an open wish to a verified sponsor; exactly one of two racing sponsors wins.

    `event`: the event where it was claimed on the spot (recorded by staff)."""
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
    wish = locks.lock_wish(wish_id)
    claim = _claim_locked(
        wish,
        sponsor,
        by=by,
        promised_on=promised_on,
        channel=channel,
        external_ref=external_ref,
        claimant_name=claimant_name,
        event=event,
    )
    notify_staff(template="claim_new", context={"claims": [claim], "sponsor": sponsor})
    if channel != ClaimChannel.CITY_PLATFORM:
        # A centre claiming on the city platform hears from the platform, not from us.
        _confirm_to_sponsor(sponsor, [claim])
    return claim


@transaction.atomic
def claim_wishes(
    *,
    wish_ids: list[int],
    sponsor: Sponsor,
    by: User,
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
    _confirm_to_sponsor(sponsor, claims)
    return claims


def _confirm_to_sponsor(sponsor: Sponsor, claims: list[Claim]) -> None:
    """Tell the sponsor what it claimed and what happens next: by when, and the campaign's
    instructions for bringing the gift."""
    wish_ids = [claim.wish_id for claim in claims]
    campaigns = Campaign.objects.filter(wishes__in=wish_ids).exclude(sponsor_instructions="")
    instructions = sorted({campaign.sponsor_instructions.strip() for campaign in campaigns})
    children = Child.objects.select_related("school").filter(wishes__in=wish_ids)
    # Where and by when each gift is brought: the drop-off points and deadline.
    handovers = handovers_for(wish_ids)
    lines = [
        HandoverLine(
            code=claim.wish.code,
            text="",
            deadline=handovers[claim.wish_id].deadline,
            points=handovers[claim.wish_id].points,
        )
        for claim in claims
        if handovers[claim.wish_id]
    ]
    ours = [*instructions, *point_passages(p for line in lines for p in line.points)]
    notify_sponsor(
        sponsor,
        message="claim_confirmed",
        context={
            "sponsor": sponsor,
            "claims": claims,
            "instructions": instructions,
            "handover_lines": lines,
        },
        sms_params={"code": claims[0].wish.code, "count": len(claims)},
        screen=screen_for(children, ours=ours),
    )


@transaction.atomic
def cancel_claim(*, claim_id: int, by: User, reason: str) -> Claim:
    """Cancel an active claim with a reason; the wish goes back to the open pool."""
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Please give a reason for the cancellation."))
    wish, claim = locks.lock_wish_and_claim(claim_id)
    if claim.status == ClaimStatus.GIFT_RECEIVED and not is_office_staff(
        by, perm="wishes.change_claim"
    ):
        # The gift is already with the programme: the sponsor can no longer take it back,
        # even when its cancellation raced the coordinator's "received".
        raise TransitionError(
            _(
                "The gift for wish %(code)s has already arrived; only the association can "
                "cancel this claim now."
            )
            % {"code": wish.code}
        )
    if claim.status not in LIVE_CLAIM_STATUSES:
        raise TransitionError(
            _("Only an active claim can be cancelled; this one is %(status)s.")
            % {"status": claim.get_status_display()}
        )
    # The sponsor reads the reason in the claim's history.
    check_text(reason, child=wish.child, what=REASON_TEXT, contacts=False)
    claim.cancel_reason = reason
    set_status(claim, ClaimStatus.CANCELLED, by=by, note=reason, fields=["cancel_reason"])
    set_status(wish, WishStatus.OPEN, by=by, note=reason)
    notify_staff(template="claim_cancelled", context={"claim": claim, "reason": reason})
    return claim


def release_claims_of_sponsor(*, sponsor: Sponsor, by: User, note: str) -> list[Claim]:
    """Cancel every active claim of a sponsor the caller has locked; the wishes open again.

    Call inside the caller's transaction: a claim that cannot be cancelled raises
    TransitionError naming its wish, and leaving the transaction undoes every claim.
    Nobody is mailed here; the caller tells the sponsor and staff once for the batch.
    """
    # A gift that has already arrived still goes to its child: only active claims go back.
    held = Claim.objects.filter(sponsor=sponsor, status=ClaimStatus.ACTIVE)
    wish_ids = sorted(held.values_list("wish_id", flat=True))
    if not wish_ids:
        return []
    # The sponsor is locked first (claim_wish's order: nobody can add a claim meanwhile),
    # then its wishes in id order, then their claims: every service locks a wish before its
    # claim, so neither a single cancellation nor a fulfilment can deadlock with this.
    wishes = {
        wish.pk: wish
        for wish in Wish.objects.select_for_update().filter(pk__in=wish_ids).order_by("pk")
    }
    # Re-read under the locks: a claim cancelled or fulfilled meanwhile is no longer active.
    claims = list(held.select_for_update().filter(wish_id__in=wish_ids).order_by("wish_id", "pk"))
    # The running totals follow the whole batch at once, not each save.
    scope = tallies.Scope(
        wishes=Q(pk__in=wish_ids), claims=Q(pk__in=[c.pk for c in claims]), sponsors={sponsor.pk}
    )
    with tallies.following(scope):
        for claim in claims:
            claim.wish = wishes[claim.wish_id]
            claim.sponsor = sponsor
            claim.cancel_reason = note
            try:
                set_status(
                    claim, ClaimStatus.CANCELLED, by=by, note=note, fields=["cancel_reason"]
                )
                set_status(claim.wish, WishStatus.OPEN, by=by, note=note)
            except (TransitionError, IntegrityError) as error:
                raise TransitionError(
                    _(
                        "Nothing was changed: the claim on wish %(code)s could not be "
                        "cancelled (%(error)s)."
                    )
                    % {"code": claim.wish.code, "error": error}
                ) from error
    return claims


@transaction.atomic
def reassign_claim(*, claim_id: int, to_user_id: int, by: User) -> Claim:
    """Hand an active claim of a unit to another of its members (its administrators do)."""
    claim = locks.lock_claim(claim_id)
    if not SponsorMember.objects.filter(
        user=by, sponsor_id=claim.sponsor_id, role=MemberRole.ADMINISTRATOR
    ).exists():
        raise TransitionError(_("Only an administrator of the unit may hand a claim on."))
    if claim.status != ClaimStatus.ACTIVE:
        raise TransitionError(_("Only an active claim can be handed to another member."))
    target = (
        SponsorMember.objects.current()
        .filter(user_id=to_user_id, sponsor_id=claim.sponsor_id)
        .select_related("user")
        .first()
    )
    if target is None:
        raise TransitionError(_("Choose a member of the unit's team."))
    if claim.member_id == target.user_id:
        raise TransitionError(
            _("%(name)s already fulfils this claim.") % {"name": display_name_of(target.user)}
        )
    hand_claim_to(
        claim,
        user=target.user,
        by=by,
        note=_("Handed to %(name)s") % {"name": display_name_of(target.user)},
    )
    return claim


def hand_claim_to(claim: Claim, *, user: User, by: User, note: str) -> None:
    """Record on a locked claim that `user` now fulfils it, in the audit trail with `note`."""
    claim.member = user
    claim.save(update_fields=["member", "updated_at"])
    record_change(
        subject=claim, from_status=claim.status, to_status=claim.status, by=by, note=note
    )
