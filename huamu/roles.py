"""Who a user is to the programme; one definition each, imported wherever a role matters.

Three roles see more than the public: association staff (the back office, with Django
permissions), members of a sponsor (a caring unit or individual) and school coordinators.
The sponsor membership and the coordinator's school are read from what the authentication
backend (`huamu.auth.RoleAwareBackend`) joined onto `request.user`, so asking costs no query.
This module imports no app: it reads the relations by their names, `sponsor_member` and
`school_coordinator`.
"""

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.utils.translation import gettext

if TYPE_CHECKING:  # only for the type checker: huamu imports no app at run time
    from sponsors.models import Sponsor, SponsorMember
    from wishes.models import School, SchoolCoordinator

# Whoever is on the other end of a request: `request.user`.
Visitor = User | AnonymousUser


class AuthenticatedRequest(HttpRequest):
    """A request behind `login_required`, for the type checker: its user is a User."""

    user: User


def is_office_staff(user: Visitor, *, perm: str) -> bool:
    """Association staff for one kind of record: active, back-office, and allowed to view it.

    A bare is_staff flag is not enough: the admin refuses such a user, so must every page.
    """
    return bool(user.is_authenticated and user.is_active and user.is_staff and user.has_perm(perm))


def _related(user: Visitor, name: str):
    if not user.is_authenticated:
        return None
    try:
        # A reverse one-to-one caches its answer, a missing row too: one query at most.
        return getattr(user, name)
    except ObjectDoesNotExist:
        return None


def sponsor_member_of(user: Visitor) -> "SponsorMember | None":
    """The user's membership of a sponsor (with the sponsor), or None; a member removed
    from the team acts for it no longer."""
    member = _related(user, "sponsor_member")
    return member if member is not None and member.is_current else None


def is_unit_administrator(user: Visitor, *, sponsor_id: int) -> bool:
    """Whether the user manages that unit's team (a unit administrator)."""
    member = sponsor_member_of(user)
    return member is not None and member.sponsor_id == sponsor_id and member.is_administrator


def sponsor_of(user: Visitor) -> "Sponsor | None":
    """The sponsor the user acts for, or None."""
    member = sponsor_member_of(user)
    return None if member is None else member.sponsor


def coordinator_of(user: Visitor) -> "SchoolCoordinator | None":
    """The user's school-coordinator row (with the school), or None."""
    return _related(user, "school_coordinator")


def school_of(user: Visitor) -> "School | None":
    """The school the user coordinates, or None."""
    coordinator = coordinator_of(user)
    return None if coordinator is None else coordinator.school


def coordinates(user: Visitor, *, school_id: int) -> bool:
    """Whether the user is a coordinator of that school."""
    coordinator = coordinator_of(user)
    return coordinator is not None and coordinator.school_id == school_id


def sees_private_data(user: Visitor) -> bool:
    """Staff and coordinators see children's private data (their sessions end sooner)."""
    return bool(user.is_authenticated and (user.is_staff or coordinator_of(user) is not None))


def display_name_of(user: User) -> str:
    """How a person is named to others: the name they gave, else their username."""
    return user.get_full_name().strip() or user.get_username()


def actor_label(user: User | None) -> str:
    """Who did something, as a sponsor reads it in a history: the association's staff and
    school coordinators by their role, never their internal username; anyone else (the
    unit's own members) by their name."""
    if user is None:
        return ""
    if user.is_staff:
        return gettext("Association staff")
    if coordinator_of(user) is not None:
        return gettext("School coordinator")
    return display_name_of(user)
