"""Sponsors' sign-ups for events and check-in at the door, where members earn their hours.

A sponsor signs up once per event and may change the sign-up or withdraw it until the day
of the event; the attendees are its unit's members (who earn the event's volunteer hours
when checked in) and names typed in. Every step is in the audit trail: the sign-up's
status, each attendee's status (expected, checked in, taken off).

Whoever signs up, changes or withdraws, and the unit's members on the list, are told
("event_signup_confirmed", "event_signup_withdrawn": when, where, how many, and where the
gifts of the sponsor's wishes for the event go); the daily job reminds them once,
HUAMU_EVENT_REMINDER_DAYS (default 2) days before the event ("event_reminder"). The unit's
administrators see the sign-up on /sponsor/.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from huamu.roles import display_name_of
from sponsors.models import Sponsor, SponsorMember
from sponsors.notifications import administrators_of, deliver, notify_users
from wishes.audit import record_change, set_status
from wishes.claiming.handover import HandoverLine, handover_lines, point_passages
from wishes.models import (
    MAX_ATTENDEES,
    Attendee,
    AttendeeStatus,
    Claim,
    ClaimStatus,
    Event,
    EventSignup,
    SignupStatus,
)
from wishes.privacy.guard import screen_for


@dataclass(frozen=True)
class NamedAttendee:
    """A person typed into the sign-up form: a name and, if given, a phone number."""

    name: str
    phone: str = ""


def events_concerning(sponsor: Sponsor) -> QuerySet[Event]:
    """Events the sponsor takes part in, or where a wish it claimed (and did not cancel) is
    to be fulfilled."""
    return Event.objects.filter(
        Q(sponsors=sponsor)
        | Q(
            wishes__claims__sponsor=sponsor,
            wishes__claims__status__in=[
                ClaimStatus.ACTIVE,
                ClaimStatus.GIFT_RECEIVED,
                ClaimStatus.FULFILLED,
            ],
        )
    ).distinct()


def upcoming_events_for(sponsor: Sponsor) -> QuerySet[Event]:
    """The sponsor's events from today on, soonest first."""
    return (
        events_concerning(sponsor)
        .filter(date__gte=timezone.localdate())
        .select_related("school")
        .order_by("date", "pk")
    )


def _check_open(event: Event) -> None:
    if event.date < timezone.localdate():
        raise TransitionError(
            _("%(event)s has already taken place; its sign-ups can no longer change.")
            % {"event": event.title}
        )


def _wanted_attendees(
    sponsor: Sponsor, members: Sequence[SponsorMember], names: Sequence[NamedAttendee]
) -> list[tuple[User | None, NamedAttendee]]:
    people: list[tuple[User | None, NamedAttendee]] = []
    for member in members:
        if member.sponsor_id != sponsor.pk or not member.is_current:
            raise TransitionError(_("Choose members of your own unit's team."))
        people.append((member.user, NamedAttendee(display_name_of(member.user))))
    people.extend((None, named) for named in names if named.name.strip())
    return people


def _replace_attendees(
    signup: EventSignup, wanted: list[tuple[User | None, NamedAttendee]], by: User
) -> None:
    """Keep the attendees still wanted, take the others off, add the new ones."""
    current = list(signup.attendees.exclude(status=AttendeeStatus.REMOVED))
    kept: set[int] = set()
    new: list[tuple[User | None, NamedAttendee]] = []
    for user, named in wanted:
        match = next(
            (
                a
                for a in current
                if a.pk not in kept
                and (a.user_id == user.pk if user else a.user_id is None and a.name == named.name)
            ),
            None,
        )
        if match is None:
            new.append((user, named))
            continue
        kept.add(match.pk)
        if not user and match.phone != named.phone:
            match.phone = named.phone
            match.save(update_fields=["phone", "updated_at"])
    for attendee in current:
        if attendee.pk not in kept:
            attendee.hours = None
            set_status(attendee, AttendeeStatus.REMOVED, by=by, fields=["hours"])
    for user, named in new:
        attendee = Attendee.objects.create(
            signup=signup, user=user, name=named.name.strip(), phone=named.phone
        )
        record_change(subject=attendee, from_status="", to_status=AttendeeStatus.EXPECTED, by=by)


@transaction.atomic
def sign_up_for_event(
    *,
    event_id: int,
    sponsor: Sponsor,
    by: User,
    headcount: int,
    members: Sequence[SponsorMember] = (),
    names: Sequence[NamedAttendee] = (),
) -> EventSignup:
    """Sign the sponsor up for an event, or change its sign-up: how many come, and who."""
    event = Event.objects.select_for_update().get(pk=event_id)
    _check_open(event)
    if not sponsor.is_verified:
        raise TransitionError(_("Only verified sponsors can sign up for events."))
    if not events_concerning(sponsor).filter(pk=event.pk).exists():
        raise TransitionError(_("This event does not concern any of your claims."))
    if not 1 <= headcount <= MAX_ATTENDEES:
        raise TransitionError(
            _("Between 1 and %(max)d people can come for one sponsor.") % {"max": MAX_ATTENDEES}
        )
    wanted = _wanted_attendees(sponsor, members, names)
    if len(wanted) > headcount:
        raise TransitionError(
            _("You named %(named)d people but said %(count)d will come.")
            % {"named": len(wanted), "count": headcount}
        )
    signup = EventSignup.objects.select_for_update().filter(event=event, sponsor=sponsor).first()
    if signup is None:
        try:
            with transaction.atomic():
                signup = EventSignup.objects.create(
                    event=event, sponsor=sponsor, headcount=headcount, signed_up_by=by
                )
        except IntegrityError:
            raise TransitionError(
                _("A colleague has just signed your unit up; please check the sign-up.")
            ) from None
        record_change(subject=signup, from_status="", to_status=SignupStatus.ACTIVE, by=by)
    else:
        previous = signup.headcount
        signup.headcount = headcount
        signup.signed_up_by = by
        note = _("%(before)d → %(after)d attendees") % {"before": previous, "after": headcount}
        if signup.status == SignupStatus.WITHDRAWN:
            set_status(
                signup, SignupStatus.ACTIVE, by=by, note=note, fields=["headcount", "signed_up_by"]
            )
        else:
            signup.save(update_fields=["headcount", "signed_up_by", "updated_at"])
            record_change(
                subject=signup,
                from_status=SignupStatus.ACTIVE,
                to_status=SignupStatus.ACTIVE,
                by=by,
                note=note,
            )
    _replace_attendees(signup, wanted, by)
    tell_about_signup(signup, message="event_signup_confirmed", users=[by, *_members_on(signup)])
    return signup


@transaction.atomic
def withdraw_signup(*, signup_id: int, by: User) -> EventSignup:
    """The sponsor will not come after all; its attendees are taken off the list."""
    signup = (
        EventSignup.objects.select_for_update()
        .select_related("event", "sponsor")
        .get(pk=signup_id)
    )
    _check_open(signup.event)
    if signup.status != SignupStatus.ACTIVE:
        raise TransitionError(_("This sign-up is already withdrawn."))
    # The members who were coming hear that they no longer are.
    told = [by, *_members_on(signup)]
    set_status(signup, SignupStatus.WITHDRAWN, by=by)
    _replace_attendees(signup, [], by)
    tell_about_signup(signup, message="event_signup_withdrawn", users=told)
    return signup


def _members_on(signup: EventSignup) -> list[User]:
    """The unit's members on the sign-up's list (not the names typed in)."""
    return [
        attendee.user
        for attendee in signup.attendees.exclude(status=AttendeeStatus.REMOVED)
        .filter(user__isnull=False)
        .select_related("user__notification_preference")
        .order_by("pk")
        if attendee.user is not None
    ]


def _gift_lines(event: Event, sponsor: Sponsor) -> tuple[list[HandoverLine], list[Claim]]:
    """What the sponsor brings to the event: each still active claim of the event's wishes,
    with where and by when its gift goes; and all its claims of the event (for the guard)."""
    claims = list(
        Claim.objects.filter(
            sponsor=sponsor,
            wish__events=event,
            status__in=[ClaimStatus.ACTIVE, ClaimStatus.GIFT_RECEIVED, ClaimStatus.FULFILLED],
        )
        .select_related("wish__child")
        .order_by("wish__code")
    )
    active = [claim for claim in claims if claim.status == ClaimStatus.ACTIVE]
    return handover_lines(active), claims


def tell_about_signup(signup: EventSignup, *, message: str, users: Sequence[User]) -> None:
    """Tell who signed up and the members coming about the sign-up (after commit): when and
    where the event is, how many come, and where the gifts go; the unit's administrators
    when none of them is still a member."""
    event, sponsor = signup.event, signup.sponsor
    current = set(sponsor.members.current().values_list("user_id", flat=True))
    people = [user for user in users if user.pk in current]
    lines, claims = (
        ([], []) if message == "event_signup_withdrawn" else _gift_lines(event, sponsor)
    )
    # The event's title and venue, and the drop-off points, are the association's words.
    ours = [event.title, event.venue, *point_passages(p for line in lines for p in line.points)]
    screen = screen_for([claim.wish.child for claim in claims], ours=ours)
    context = {"sponsor": sponsor, "event": event, "signup": signup, "handover_lines": lines}
    sms_params = {"date": event.date.isoformat(), "count": signup.headcount}
    if people:
        notify_users(
            people,
            sponsor=sponsor,
            message=message,
            context=context,
            sms_params=sms_params,
            screen=screen,
        )
    else:
        deliver(
            administrators_of(sponsor),
            message=message,
            context=context,
            sms_params=sms_params,
            screen=screen,
            fallback_language=sponsor.language,
        )


def event_reminder_days() -> int:
    """How many days before an event its sign-ups are reminded."""
    return int(getattr(settings, "HUAMU_EVENT_REMINDER_DAYS", 2))


def _due_for_event_reminder(today: datetime.date) -> QuerySet[EventSignup]:
    # A run missed for a day still reminds: any event from today to the horizon counts.
    horizon = today + datetime.timedelta(days=event_reminder_days())
    return EventSignup.objects.filter(
        status=SignupStatus.ACTIVE,
        reminded_at__isnull=True,
        event__date__gte=today,
        event__date__lte=horizon,
    )


def send_event_reminders(today: datetime.date | None = None) -> list[EventSignup]:
    """Remind each active sign-up once before its event; return the sign-ups reminded."""
    today = today or timezone.localdate()
    reminded = []
    for signup_id in list(
        _due_for_event_reminder(today).order_by("pk").values_list("pk", flat=True)
    ):
        # One transaction per sign-up: the mark and the messages go together, or not at all.
        with transaction.atomic():
            # The conditional update is the claim: of two runs at once, one marks the row,
            # the other waits for it and then finds it marked. Its WHERE names the row's own
            # columns only: PostgreSQL re-reads those after the wait, not a subquery's (a
            # filter on the event's date would make Django update through a subquery).
            taken = EventSignup.objects.filter(
                pk=signup_id, status=SignupStatus.ACTIVE, reminded_at__isnull=True
            ).update(reminded_at=timezone.now())
            if not taken:
                continue
            signup = EventSignup.objects.select_related("event", "sponsor", "signed_up_by").get(
                pk=signup_id
            )
            tell_about_signup(
                signup,
                message="event_reminder",
                users=[signup.signed_up_by, *_members_on(signup)],
            )
            reminded.append(signup)
    return reminded


def _lock_attendee(attendee_id: int) -> Attendee:
    attendee = (
        Attendee.objects.select_for_update().select_related("signup__event").get(pk=attendee_id)
    )
    if attendee.signup.status != SignupStatus.ACTIVE or attendee.status == AttendeeStatus.REMOVED:
        raise TransitionError(
            _("%(name)s is no longer on the sign-up list.") % {"name": attendee.name}
        )
    if attendee.signup.event.date > timezone.localdate():
        raise TransitionError(_("Check-in opens on the day of the event."))
    return attendee


@transaction.atomic
def check_in_attendee(*, attendee_id: int, by: User) -> Attendee:
    """Tick an attendee at the door; a member of the unit earns the event's hours."""
    attendee = _lock_attendee(attendee_id)
    if attendee.status == AttendeeStatus.CHECKED_IN:
        raise TransitionError(_("%(name)s is already checked in.") % {"name": attendee.name})
    attendee.checked_in_at = timezone.now()
    attendee.checked_in_by = by
    attendee.hours = attendee.signup.event.volunteer_hours if attendee.user_id else None
    set_status(
        attendee,
        AttendeeStatus.CHECKED_IN,
        by=by,
        fields=["checked_in_at", "checked_in_by", "hours"],
    )
    return attendee


@transaction.atomic
def undo_check_in(*, attendee_id: int, by: User) -> Attendee:
    """Take back a tick made by mistake, and the hours it gave."""
    attendee = _lock_attendee(attendee_id)
    if attendee.status != AttendeeStatus.CHECKED_IN:
        raise TransitionError(_("%(name)s is not checked in.") % {"name": attendee.name})
    attendee.checked_in_at = None
    attendee.checked_in_by = None
    attendee.hours = None
    set_status(
        attendee,
        AttendeeStatus.EXPECTED,
        by=by,
        note=_("Check-in undone"),
        fields=["checked_in_at", "checked_in_by", "hours"],
    )
    return attendee
