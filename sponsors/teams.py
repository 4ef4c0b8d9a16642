"""A unit's team: invitations, join requests, members and their roles.

Every change locks the sponsor row first, so that two administrators acting at once cannot
leave the unit without an administrator, and is written to the audit trail on the record it
changes (an invitation, a join request, a member).
"""

import datetime
import secrets

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from huamu.roles import display_name_of
from sponsors.models import (
    InviteStatus,
    JoinRequest,
    JoinStatus,
    MemberRole,
    Sponsor,
    SponsorMember,
    TeamInvite,
)
from sponsors.notifications import notify_administrators, notify_user
from wishes.audit import record_change, set_status

# How long an invitation stays valid unless the administrator chooses otherwise.
INVITE_DAYS = 7
MAX_INVITE_DAYS = 30


def _lock_sponsor(sponsor_id: int) -> Sponsor:
    return Sponsor.objects.select_for_update().get(pk=sponsor_id)


def _check_administrator(sponsor: Sponsor, by: User) -> SponsorMember:
    """The acting user's membership, if they administer this unit; refuse otherwise."""
    member = SponsorMember.objects.filter(
        user=by, sponsor=sponsor, role=MemberRole.ADMINISTRATOR
    ).first()
    if member is None:
        raise TransitionError(
            _("Only an administrator of %(name)s may do this.") % {"name": sponsor}
        )
    return member


def _administrators_left(sponsor: Sponsor, *, without: SponsorMember) -> int:
    return (
        SponsorMember.objects.filter(sponsor=sponsor, role=MemberRole.ADMINISTRATOR)
        .exclude(pk=without.pk)
        .count()
    )


def _set_role(member: SponsorMember, role: str, *, by: User, note: str = "") -> None:
    previous = member.role
    member.role = role
    member.save(update_fields=["role", "updated_at"])
    record_change(subject=member, from_status=previous, to_status=role, by=by, note=note)


@transaction.atomic
def create_invite(
    *, sponsor_id: int, by: User, days: int = INVITE_DAYS, note: str = ""
) -> TeamInvite:
    """A new invitation link for one colleague, valid for `days` days."""
    sponsor = _lock_sponsor(sponsor_id)
    _check_administrator(sponsor, by)
    if not sponsor.is_unit:
        raise TransitionError(_("Only a caring unit has a team."))
    if not 1 <= days <= MAX_INVITE_DAYS:
        raise TransitionError(
            _("An invitation is valid for 1 to %(days)d days.") % {"days": MAX_INVITE_DAYS}
        )
    invite = TeamInvite.objects.create(
        sponsor=sponsor,
        token=secrets.token_urlsafe(24),
        expires_at=timezone.now() + datetime.timedelta(days=days),
        created_by=by,
        note=note.strip(),
    )
    record_change(subject=invite, from_status="", to_status=InviteStatus.ACTIVE, by=by)
    return invite


@transaction.atomic
def revoke_invite(*, invite_id: int, by: User) -> TeamInvite:
    """Withdraw an unused invitation: its link no longer works."""
    invite = TeamInvite.objects.select_related("sponsor").get(pk=invite_id)
    _check_administrator(_lock_sponsor(invite.sponsor_id), by)
    invite = TeamInvite.objects.select_for_update().get(pk=invite_id)
    if invite.status != InviteStatus.ACTIVE:
        raise TransitionError(_("This invitation is no longer open."))
    set_status(invite, InviteStatus.REVOKED, by=by)
    return invite


def check_invite(invite: TeamInvite | None) -> TeamInvite:
    """The invitation if it may still be used; a clear refusal if not."""
    if invite is None:
        raise TransitionError(
            _(
                "This invitation link is not valid. "
                "Please ask the unit's administrator for a new one."
            )
        )
    if invite.status == InviteStatus.REVOKED:
        raise TransitionError(
            _("This invitation was withdrawn by %(name)s. Please ask for a new one.")
            % {"name": invite.sponsor.name}
        )
    if invite.status == InviteStatus.USED:
        raise TransitionError(
            _(
                "This invitation has already been used. "
                "Each link is for one colleague: please ask for a new one."
            )
        )
    if invite.is_expired():
        raise TransitionError(
            _(
                "This invitation expired on %(date)s. "
                "Please ask the unit's administrator for a new one."
            )
            % {"date": formats.date_format(timezone.localtime(invite.expires_at), "DATE_FORMAT")}
        )
    return invite


@transaction.atomic
def request_to_join(*, token: str, user: User) -> JoinRequest:
    """Use an invitation: the user asks to join the unit; its administrators are told."""
    found = TeamInvite.objects.select_related("sponsor").filter(token=token).first()
    if found is not None:
        _lock_sponsor(found.sponsor_id)
        found = TeamInvite.objects.select_for_update().select_related("sponsor").get(pk=found.pk)
    invite = check_invite(found)
    sponsor = invite.sponsor
    current = SponsorMember.objects.current().filter(user=user).select_related("sponsor").first()
    if current is not None:
        raise TransitionError(
            _("You already act for %(name)s; one account belongs to one sponsor.")
            % {"name": current.sponsor.name}
        )
    if user.is_staff:
        raise TransitionError(_("An account of the association's staff cannot join a sponsor."))
    try:
        with transaction.atomic():
            join = JoinRequest.objects.create(sponsor=sponsor, user=user, invite=invite)
    except IntegrityError:
        raise TransitionError(
            _("You have already asked to join a unit; wait for its answer first.")
        ) from None
    set_status(invite, InviteStatus.USED, by=user)
    record_change(subject=join, from_status="", to_status=JoinStatus.PENDING, by=user)
    notify_administrators(
        sponsor,
        message="team_join_request",
        context={"sponsor": sponsor, "name": display_name_of(user)},
    )
    return join


def _lock_request(request_id: int, by: User) -> JoinRequest:
    join = JoinRequest.objects.get(pk=request_id)
    sponsor = _lock_sponsor(join.sponsor_id)
    _check_administrator(sponsor, by)
    join = JoinRequest.objects.select_for_update().select_related("user").get(pk=request_id)
    join.sponsor = sponsor
    if join.status != JoinStatus.PENDING:
        raise TransitionError(_("This request has already been answered."))
    return join


def _decide(join: JoinRequest, status: str, by: User) -> None:
    join.decided_by = by
    join.decided_at = timezone.now()
    set_status(join, status, by=by, fields=["decided_by", "decided_at"])


@transaction.atomic
def approve_join_request(*, request_id: int, by: User) -> SponsorMember:
    """Let the colleague in as a member of the unit."""
    join = _lock_request(request_id, by)
    existing = SponsorMember.objects.select_for_update().filter(user=join.user).first()
    if existing is not None and existing.is_current:
        raise TransitionError(
            _("%(name)s already acts for another sponsor.") % {"name": display_name_of(join.user)}
        )
    if existing is None:
        member = SponsorMember.objects.create(
            user=join.user, sponsor=join.sponsor, role=MemberRole.MEMBER
        )
        record_change(
            subject=member,
            from_status="",
            to_status=MemberRole.MEMBER,
            by=by,
            note=join.sponsor.name,
        )
    else:
        # Removed from a team before: the same membership row moves to this unit.
        member = existing
        member.sponsor = join.sponsor
        member.save(update_fields=["sponsor", "updated_at"])
        _set_role(member, MemberRole.MEMBER, by=by, note=join.sponsor.name)
    _decide(join, JoinStatus.APPROVED, by)
    notify_user(
        join.user,
        sponsor=join.sponsor,
        message="team_join_approved",
        context={"sponsor": join.sponsor, "name": display_name_of(join.user)},
    )
    return member


@transaction.atomic
def refuse_join_request(*, request_id: int, by: User) -> JoinRequest:
    """Turn a colleague's request down; they may be invited again later."""
    join = _lock_request(request_id, by)
    _decide(join, JoinStatus.REFUSED, by)
    return join


def _lock_member(member_id: int) -> tuple[Sponsor, SponsorMember]:
    member = SponsorMember.objects.get(pk=member_id)
    sponsor = _lock_sponsor(member.sponsor_id)
    member = SponsorMember.objects.select_for_update().select_related("user").get(pk=member_id)
    if not member.is_current:
        raise TransitionError(_("This person is no longer a member of the team."))
    return sponsor, member


@transaction.atomic
def remove_member(*, member_id: int, by: User) -> SponsorMember:
    """Take a member off the team (an administrator), or leave it (the member themself).

    The unit keeps at least one administrator: the last one passes the role on first.
    """
    sponsor, member = _lock_member(member_id)
    leaving = member.user_id == by.pk
    if not leaving:
        _check_administrator(sponsor, by)
    if member.is_administrator and not _administrators_left(sponsor, without=member):
        raise TransitionError(
            _("%(name)s is the unit's only administrator; pass the role to another member first.")
            % {"name": member.display_name}
        )
    note = _("Left the team") if leaving else ""
    _set_role(member, MemberRole.REMOVED, by=by, note=note)
    _hand_on_claims(member, sponsor, by=by)
    return member


def _hand_on_claims(member: SponsorMember, sponsor: Sponsor, *, by: User) -> None:
    """The live claims a member fulfilled go to the administrator who removed them, or, when
    they left, to the unit's longest-standing administrator: the unit's promise stands."""
    from wishes.models import LIVE_CLAIM_STATUSES, Claim
    from wishes.services.claims import hand_claim_to

    heir = by
    if member.user_id == by.pk:
        administrator = (
            SponsorMember.objects.filter(sponsor=sponsor, role=MemberRole.ADMINISTRATOR)
            .select_related("user")
            .order_by("created_at", "pk")
            .first()
        )
        if administrator is None:  # cannot happen: the last administrator may not leave
            return
        heir = administrator.user
    claims = list(
        Claim.objects.select_for_update()
        .filter(sponsor=sponsor, member_id=member.user_id, status__in=LIVE_CLAIM_STATUSES)
        .order_by("pk")
    )
    note = _("Handed to %(name)s: %(member)s is no longer on the team") % {
        "name": display_name_of(heir),
        "member": member.display_name,
    }
    for claim in claims:
        hand_claim_to(claim, user=heir, by=by, note=note)


@transaction.atomic
def set_member_role(*, member_id: int, role: str, by: User) -> SponsorMember:
    """Make a member an administrator too, or an administrator a plain member again,
    never leaving the unit without an administrator."""
    if role not in (MemberRole.ADMINISTRATOR, MemberRole.MEMBER):
        raise TransitionError(_("Choose administrator or member."))
    sponsor, member = _lock_member(member_id)
    _check_administrator(sponsor, by)
    if member.role == role:
        raise TransitionError(_("%(name)s already has this role.") % {"name": member.display_name})
    if role == MemberRole.MEMBER and not _administrators_left(sponsor, without=member):
        raise TransitionError(
            _("%(name)s is the unit's only administrator; pass the role to another member first.")
            % {"name": member.display_name}
        )
    _set_role(member, role, by=by)
    return member


@transaction.atomic
def pass_administrator_role(*, member_id: int, by: User) -> SponsorMember:
    """Hand the administrator role to another member: they manage the team, you no longer."""
    sponsor, member = _lock_member(member_id)
    own = _check_administrator(sponsor, by)
    if member.pk == own.pk:
        raise TransitionError(_("Choose another member to pass the role to."))
    if not member.is_administrator:
        _set_role(member, MemberRole.ADMINISTRATOR, by=by)
    _set_role(own, MemberRole.MEMBER, by=by)
    return member
