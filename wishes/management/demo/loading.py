"""Loading the demo data through the real services, so it is what the site itself would make.

Loading is idempotent: natural keys (names, years, usernames, a child's school and name) find
what an earlier run made, and a wish's story (publish, claim, cancel, fulfil, withdraw) is
played only when the wish itself is new, so a second run changes nothing. Accounts that
already exist are left exactly as they are.
"""

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from huamu.images import clean_image
from huamu.models import TimeStampedModel
from huamu.roles import display_name_of
from sponsors.models import MemberRole, Sponsor, SponsorMember
from sponsors.services import verify_sponsor
from sponsors.teams import create_invite, request_to_join
from wishes.audit import record_change, set_status
from wishes.management.demo.cast import (
    DEMO_PASSWORD,
    HUAMU,
    HUAMU_CENTRAL,
    MUSEUM,
    PAST_YEARS,
    REGIONS,
    SCHOOLS,
    SPONSOR_LOGINS,
    SPONSORS,
    TEAM_COLLEAGUE,
    TEAM_NEWCOMER,
    campaign_name,
    drop_off_point_specs,
)
from wishes.management.demo.children import ChildSpec, child_specs, letter_text
from wishes.management.demo.events import event_specs
from wishes.management.demo.scenes import draw_scene
from wishes.management.demo.stories import (
    COORDINATOR_FEEDBACK,
    SPONSOR_FEEDBACK,
    WishPlan,
)
from wishes.models import (
    Attendee,
    AttendeeStatus,
    Campaign,
    Child,
    ChildState,
    Claim,
    ClaimChannel,
    ClaimStatus,
    Consent,
    ConsentState,
    DropOffPoint,
    Event,
    EventSignup,
    Feedback,
    FeedbackRole,
    Fulfilment,
    FulfilmentPhoto,
    Region,
    School,
    SchoolCoordinator,
    SignupStatus,
    StatusChange,
    ThankYouLetter,
    Wish,
    WishStatus,
    school_year_end,
)
from wishes.privacy.redaction import redact_for_child
from wishes.reports import tallies
from wishes.services import (
    add_fulfilment_photos,
    cancel_claim,
    claim_wish,
    give_feedback,
    publish_wish,
    receive_gift,
    record_fulfilment,
    set_photo_publication,
    withdraw_wish,
)
from wishes.staff_group import ensure_staff_group


class _Clock:
    """Turns the stories' calendar dates into timestamps that are never in the future."""

    def __init__(self, today: datetime.date) -> None:
        self.today = today
        self.now = min(timezone.now(), self._at(today, datetime.time(23, 59)))

    @staticmethod
    def _at(day: datetime.date, time: datetime.time) -> datetime.datetime:
        return datetime.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())

    def day(self, day: datetime.date) -> datetime.date:
        return min(day, self.today)

    def moment(self, day: datetime.date) -> datetime.datetime:
        return min(self._at(day, datetime.time(10)), self.now)


def _stamp(obj: TimeStampedModel, moment: datetime.datetime, **fields: Any) -> None:
    """Date a row as if it had been made at `moment` (created_at is set on insert)."""
    type(obj)._default_manager.filter(pk=obj.pk).update(
        created_at=moment, updated_at=moment, **fields
    )


def _first_state(subject: TimeStampedModel, to_status: str, moment: datetime.datetime, by: User):
    """Record a new row's first state, and date it and its field history at `moment`."""
    change = record_change(subject=subject, from_status="", to_status=to_status, by=by)
    StatusChange.objects.filter(pk=change.pk).update(at=moment)
    history = getattr(subject, "history", None)
    if history is not None:
        history.update(history_date=moment, history_user=by)


def _as_of[T](moment: datetime.datetime, service: Callable[..., T], **kwargs: Any) -> T:
    """Call a service, then date the audit rows it wrote, so the history reads in order."""
    # Rows after the newest id are this call's: the seed runs before the site serves anyone.
    last_id = StatusChange.objects.aggregate(last=Max("id"))["last"] or 0
    result = service(**kwargs)
    StatusChange.objects.filter(id__gt=last_id).update(at=moment)
    return result


@dataclass
class _Cast:
    clock: _Clock
    staff: User
    coordinator: User
    regions: dict[str, Region]
    schools: dict[str, School]
    campaigns: dict[int, Campaign]
    sponsors: dict[str, Sponsor]
    events: dict[str, Event]
    logins: dict[str, User]


def _user(username: str, hashed: Callable[[], str], **flags: bool) -> tuple[User, bool]:
    """Get or create a demo account; only a new one gets the demo password."""
    return get_user_model().objects.get_or_create(
        username=username,
        # A callable default runs only when the account is created (the stubs expect a str).
        defaults={"email": f"{username}@example.org", "password": hashed, **flags},  # type: ignore[misc]
    )


def _load_places(today: datetime.date) -> tuple[dict, dict, dict]:
    regions = {
        name: Region.objects.get_or_create(name=name, defaults={"kind": kind})[0]
        for name, kind in REGIONS.items()
    }
    schools = {
        name: School.objects.get_or_create(name=name, defaults={"region": regions[HUAMU]})[0]
        for name in SCHOOLS
    }
    campaigns = {}
    for year in (*PAST_YEARS, today.year):
        campaigns[year] = Campaign.objects.get_or_create(
            year=year,
            defaults={
                "name": campaign_name(year),
                "starts_on": datetime.date(year, 2, 1),
                "ends_on": datetime.date(year, 12, 31),
            },
        )[0]
    return regions, schools, campaigns


def _load_sponsors(clock: _Clock, regions: dict, staff: User) -> dict[str, Sponsor]:
    sponsors = {}
    for spec in SPONSORS:
        sponsor = Sponsor.objects.filter(name=spec.name).order_by("pk").first()
        if sponsor is None:
            sponsor = Sponsor.objects.create(
                kind=spec.kind,
                name=spec.name,
                unit_category=spec.unit_category,
                region=regions[spec.region],
                contact_name=spec.contact_name,
                phone=spec.phone,
                email=spec.email,
            )
            registered = spec.verified_on or clock.today - datetime.timedelta(days=3)
            _stamp(sponsor, clock.moment(registered - datetime.timedelta(days=7)))
            if spec.verified_on:
                verified = clock.moment(spec.verified_on)
                _as_of(verified, verify_sponsor, sponsor_id=sponsor.pk, by=staff)
                Sponsor.objects.filter(pk=sponsor.pk).update(decided_at=verified)
        sponsors[spec.name] = sponsor
    return sponsors


def _load_staff(hashed: Callable[[], str]) -> User:
    staff, created = _user("staff", hashed, is_staff=True)
    if created:
        staff.groups.add(ensure_staff_group())
    return staff


def _load_logins(
    hashed: Callable[[], str],
    staff: User,
    sponsors: dict[str, Sponsor],
    schools: dict[str, School],
) -> dict[str, User]:
    admin, _created = _user("admin", hashed, is_staff=True, is_superuser=True)
    logins = {"staff": staff, "admin": admin}
    for sponsor_name, username in SPONSOR_LOGINS.items():
        user, created = _user(username, hashed)
        if created:
            # The demo login signed its sponsor up: it manages the team, under the contact's name.
            user.first_name = sponsors[sponsor_name].contact_name
            user.save(update_fields=["first_name"])
            SponsorMember.objects.create(
                user=user, sponsor=sponsors[sponsor_name], role=MemberRole.ADMINISTRATOR
            )
        logins[username] = user
    coordinator, created = _user("coordinator", hashed)
    if created:
        SchoolCoordinator.objects.create(user=coordinator, school=schools[HUAMU_CENTRAL])
    logins["coordinator"] = coordinator
    return logins


def _load_events(cast: _Cast, current_year: int) -> dict[str, Event]:
    events = {}
    for spec in event_specs(current_year):
        campaign = cast.campaigns[spec.year]
        event, created = Event.objects.get_or_create(
            campaign=campaign,
            title=spec.title,
            defaults={
                "kind": spec.kind,
                "date": spec.date,
                "start_time": spec.start_time,
                "venue": spec.venue,
                "school": cast.schools.get(spec.school) if spec.school else None,
                "description": spec.description,
            },
        )
        if created:
            event.sponsors.set([cast.sponsors[name] for name in spec.sponsors])
        events[spec.key] = event
    return events


def _load_drop_off_points(cast: _Cast, today: datetime.date) -> None:
    """Where the current campaign's sponsors bring their gifts, and by when."""
    campaign = cast.campaigns[today.year]
    if campaign.drop_off_deadline is None:
        # Ten days after loading: a deadline still to come, so the sponsors see it ahead.
        campaign.drop_off_deadline = today + datetime.timedelta(days=10)
        campaign.save(update_fields=["drop_off_deadline", "updated_at"])
    for spec in drop_off_point_specs():
        DropOffPoint.objects.get_or_create(
            campaign=campaign,
            name=spec["name"],
            defaults={
                **{key: value for key, value in spec.items() if key != "school"},
                "school": cast.schools.get(spec["school"]) if spec["school"] else None,
            },
        )


def _load_child(cast: _Cast, spec: ChildSpec) -> None:
    plan, clock = spec.plan, cast.clock
    school = cast.schools[plan.school]
    child, created = Child.objects.get_or_create(
        school=school,
        real_name=spec.real_name,
        defaults={
            "alias": spec.alias,
            "gender": spec.gender,
            "birth_year": spec.birth_year,
            "grade": spec.grade,
            "class_name": spec.class_name,
            "home_region": cast.regions[plan.home_region],
            "address": spec.address,
            "guardian_name": spec.guardian_name,
            "guardian_phone": spec.guardian_phone,
            "hardship_category": spec.hardship_category,
            "hardship_note": spec.hardship_note,
            "public_location": spec.public_location,
        },
    )
    registered = clock.moment(spec.registered_on)
    if created:
        _stamp(child, registered)
        _first_state(child, ChildState.KEPT, registered, cast.staff)
    if not child.consents.exists():
        consent = Consent.objects.create(
            child=child,
            publish_wish=spec.consents_to_publish,
            # Where staff show the school, the guardian agreed to it.
            publish_school=spec.consents_to_publish and spec.public_location == "school",
            # The demo's event "photos" are drawn scenes, cleared for the event pages.
            publish_photos=spec.consents_to_publish,
            share_photos_with_sponsor=spec.consents_to_publish,
            share_letter_with_sponsor=spec.consents_to_publish,
            method=spec.consent_method,
            given_on=clock.day(spec.registered_on),
            # Renewed with each school year, as the association asks: still in force today
            # (the services check it against the real day, even when the demo's is earlier).
            valid_until=school_year_end(max(clock.today, timezone.localdate())),
            given_by=spec.guardian_name,
            collected_by=cast.staff,
            note="" if spec.consents_to_publish else "家长同意保存记录，暂不同意公开心愿。",
        )
        _stamp(consent, registered)
        _first_state(consent, ConsentState.IN_FORCE, registered, cast.staff)
    if child.wishes.exists():
        # The story of this wish was played on an earlier run (or by hand): leave it be.
        return
    wish = Wish.objects.create(
        child=child,
        campaign=cast.campaigns[plan.year],
        category=spec.category,
        child_words=spec.child_words,
        public_text=redact_for_child(spec.child_words, child),
        estimated_value=spec.estimated_value,
    )
    _stamp(wish, registered)
    _first_state(wish, WishStatus.DRAFT, registered, cast.staff)
    if plan.event:
        cast.events[plan.event].wishes.add(wish)
    _play(cast, spec, wish)


def _claim(cast: _Cast, plan: WishPlan, wish: Wish, sponsor_name: str, day: datetime.date):
    """Claim as the real world would: on site, on the city platform, or online."""
    sponsor = cast.sponsors[sponsor_name]
    login = cast.logins.get(SPONSOR_LOGINS.get(sponsor_name, ""))
    channel = plan.channel or (
        ClaimChannel.ONLINE if login and not plan.claim_event else ClaimChannel.OFFLINE
    )
    by = login if channel == ClaimChannel.ONLINE else cast.staff
    event = cast.events.get(plan.event)
    promised = event.date if event and plan.outcome == WishStatus.CLAIMED else None
    is_platform = channel == ClaimChannel.CITY_PLATFORM
    moment = cast.clock.moment(day)
    claim = _as_of(
        moment,
        claim_wish,
        wish_id=wish.pk,
        sponsor=sponsor,
        by=by,
        promised_on=promised,
        channel=channel,
        external_ref=plan.external_ref if is_platform else "",
        claimant_name=sponsor.name if is_platform else "",
        # Claimed on the spot at an event (the 3·5 梦想现场认领): the event counts it.
        event=cast.events.get(plan.claim_event) if plan.claim_event else None,
    )
    _stamp(claim, moment)
    return claim


def _play(cast: _Cast, spec: ChildSpec, wish: Wish) -> None:
    """Walk a new wish through the services to the state its plan ends in."""
    plan, clock, staff = spec.plan, cast.clock, cast.staff
    if plan.outcome == WishStatus.DRAFT:
        return
    published = clock.moment(spec.published_on)
    _as_of(published, publish_wish, wish_id=wish.pk, by=staff)
    Wish.objects.filter(pk=wish.pk).update(published_at=published)
    day = plan.claimed_on or (
        cast.events[plan.claim_event].date
        if plan.claim_event
        else spec.published_on + datetime.timedelta(days=10 + spec.number % 20)
    )
    if plan.cancelled_by:
        claim = _claim(cast, plan, wish, plan.cancelled_by, day)
        day += datetime.timedelta(days=7)
        _as_of(
            clock.moment(day),
            cancel_claim,
            claim_id=claim.pk,
            by=staff,
            reason=plan.cancel_reason,
        )
        day += datetime.timedelta(days=2)
    if plan.outcome == WishStatus.WITHDRAWN:
        day = spec.published_on + datetime.timedelta(days=45)
        _as_of(
            clock.moment(day),
            withdraw_wish,
            wish_id=wish.pk,
            by=staff,
            reason=plan.withdraw_reason,
        )
    if plan.sponsor:
        claim = _claim(cast, plan, wish, plan.sponsor, day)
    if plan.gift_received:
        day += datetime.timedelta(days=5)
        _as_of(clock.moment(day), receive_gift, claim_id=claim.pk, by=cast.coordinator)
    if plan.outcome == WishStatus.FULFILLED:
        day = _fulfil(cast, spec, claim)
    Wish.objects.filter(pk=wish.pk).update(updated_at=clock.moment(day))


def _fulfil(cast: _Cast, spec: ChildSpec, claim: Claim) -> datetime.date:
    """Record the fulfilment at its event; an event still to come is not claimed as the venue."""
    clock = cast.clock
    event = cast.events[spec.plan.event]
    on_time = event.date <= clock.today
    day = clock.day(event.date)
    recorder = cast.coordinator if spec.plan.school == HUAMU_CENTRAL else cast.staff
    fulfilment = _as_of(
        clock.moment(day),
        record_fulfilment,
        claim_id=claim.pk,
        by=recorder,
        fulfilled_on=day,
        event=event if on_time else None,
        note="爱心单位代表在活动现场把心愿礼物送到孩子手中。" if on_time else "",
    )
    _stamp(fulfilment, clock.moment(day))
    if on_time:
        _add_event_photo(cast, fulfilment, seed=spec.number, moment=clock.moment(day))
    if spec.plan.letter:
        letter = ThankYouLetter.objects.create(
            fulfilment=fulfilment, transcription=letter_text(spec.item), uploaded_by=recorder
        )
        _stamp(letter, clock.moment(day + datetime.timedelta(days=3)))
    return day


# Drawn scenes per event, so that an event page shows a few pictures and stays light.
PHOTOS_PER_EVENT = 2


def _add_event_photo(
    cast: _Cast, fulfilment: Fulfilment, *, seed: int, moment: datetime.datetime
) -> None:
    """A drawn scene (never a child) as the fulfilment's photo, cleared for the event page."""
    event = fulfilment.event
    if event is None or FulfilmentPhoto.objects.filter(fulfilment__event=event).count() >= (
        PHOTOS_PER_EVENT
    ):
        return
    # Through the upload decoder and the services, as a coordinator's photo would go.
    image = clean_image(SimpleUploadedFile("scene.jpg", draw_scene(seed), "image/jpeg"))
    (photo,) = _as_of(
        moment, add_fulfilment_photos, fulfilment_id=fulfilment.pk, by=cast.staff, images=[image]
    )
    _as_of(moment, set_photo_publication, photo_id=photo.pk, by=cast.staff, public=True)
    _stamp(photo, moment)


@transaction.atomic
def _load_team(
    clock: _Clock, hashed: Callable[[], str], sponsors: dict[str, Sponsor], logins: dict
) -> None:
    """The demo unit's team: a second member, and a colleague's request waiting for approval."""
    museum, founder = sponsors[MUSEUM], logins["unit"]
    colleague, created = _user(TEAM_COLLEAGUE, hashed)
    if created:
        colleague.first_name = "孙晓燕"
        colleague.save(update_fields=["first_name"])
        member = SponsorMember.objects.create(user=colleague, sponsor=museum)
        _first_state(member, MemberRole.MEMBER, clock.now, founder)
    logins[TEAM_COLLEAGUE] = colleague
    newcomer, created = _user(TEAM_NEWCOMER, hashed)
    if created:
        newcomer.first_name = "林志强"
        newcomer.save(update_fields=["first_name"])
        invite = _as_of(
            clock.now, create_invite, sponsor_id=museum.pk, by=founder, note=newcomer.first_name
        )
        _as_of(clock.now, request_to_join, token=invite.token, user=newcomer)
    logins[TEAM_NEWCOMER] = newcomer


# The hours a demo event gives each member checked in, and the demo unit's guest.
DEMO_EVENT_HOURS = Decimal("2.5")
DEMO_GUEST = "张志愿"


def _load_event_signups(cast: _Cast) -> None:
    """The demo unit signed up for its next event (its two members and a guest), and came to
    its latest past one, where its members were checked in and earned the hours."""
    museum, clock = cast.sponsors[MUSEUM], cast.clock
    founder, colleague = cast.logins["unit"], cast.logins[TEAM_COLLEAGUE]
    ours = sorted(
        (event for event in cast.events.values() if museum in event.sponsors.all()),
        key=lambda event: event.date,
    )
    upcoming = next((event for event in ours if event.date > clock.today), None)
    past = next((event for event in reversed(ours) if event.date <= clock.today), None)
    for event in (upcoming, past):
        if event is None:
            continue
        signup, created = EventSignup.objects.get_or_create(
            event=event, sponsor=museum, defaults={"headcount": 3, "signed_up_by": founder}
        )
        if not created:
            continue
        if not event.volunteer_hours:
            event.volunteer_hours = DEMO_EVENT_HOURS
            event.save(update_fields=["volunteer_hours", "updated_at"])
        signed = clock.moment(event.date - datetime.timedelta(days=7))
        _stamp(signup, signed)
        _first_state(signup, SignupStatus.ACTIVE, signed, founder)
        people = [(founder, display_name_of(founder)), (colleague, display_name_of(colleague))]
        for user, name in [*people, (None, DEMO_GUEST)]:
            attendee = Attendee.objects.create(signup=signup, user=user, name=name)
            _first_state(attendee, AttendeeStatus.EXPECTED, signed, founder)
            if event is past:
                at_door = clock.moment(event.date)
                attendee.checked_in_at = at_door
                attendee.checked_in_by = cast.staff
                attendee.hours = event.volunteer_hours if user else None
                _as_of(
                    at_door,
                    set_status,
                    subject=attendee,
                    to=AttendeeStatus.CHECKED_IN,
                    by=cast.staff,
                    fields=["checked_in_at", "checked_in_by", "hours"],
                )


def _load_feedback(cast: _Cast) -> None:
    """The demo unit and the coordinator rated their older fulfilled wishes (so the impact
    page has an average and the back office a list); each one's newest wish still waits for
    its rating, so their pages show the request."""
    clock = cast.clock
    givers = [
        (
            FeedbackRole.SPONSOR,
            cast.logins["unit"],
            Q(sponsor=cast.sponsors[MUSEUM]),
            SPONSOR_FEEDBACK,
        ),
        (
            FeedbackRole.COORDINATOR,
            cast.coordinator,
            Q(wish__child__school=cast.schools[HUAMU_CENTRAL]),
            COORDINATOR_FEEDBACK,
        ),
    ]
    for role, user, whose, texts in givers:
        fulfilled = list(
            Claim.objects.filter(whose, status=ClaimStatus.FULFILLED)
            .select_related("fulfilment")
            .order_by("fulfilment__fulfilled_on", "pk")
        )
        for claim, (rating, comment) in zip(fulfilled[:-1], texts, strict=False):
            if Feedback.objects.filter(claim=claim, role=role).exists():
                continue
            moment = clock.moment(
                clock.day(claim.fulfilment.fulfilled_on + datetime.timedelta(days=2))
            )
            feedback = _as_of(
                moment,
                give_feedback,
                claim_id=claim.pk,
                role=role,
                rating=rating,
                comment=comment,
                by=user,
            )
            _stamp(feedback, moment)


def load_demo_data(*, today: datetime.date | None = None) -> None:
    """Create whatever demo data is missing, in one transaction; safe to run again."""
    # Its records are backdated with QuerySet.update, which the running totals do not see:
    # they are recounted once at the end instead.
    with tallies.rebuilt_after():
        _load_demo_data(today=today)


def _load_demo_data(*, today: datetime.date | None) -> None:
    today = today or timezone.localdate()
    clock = _Clock(today)
    regions, schools, campaigns = _load_places(today)
    # One hash for every new demo account: the password is public, and hashing is slow.
    hashed = functools.cache(functools.partial(make_password, DEMO_PASSWORD))
    # Staff exist before sponsors: they verify them.
    staff = _load_staff(hashed)
    sponsors = _load_sponsors(clock, regions, staff)
    logins = _load_logins(hashed, staff, sponsors, schools)
    _load_team(clock, hashed, sponsors, logins)
    cast = _Cast(
        clock=clock,
        staff=logins["staff"],
        coordinator=logins["coordinator"],
        regions=regions,
        schools=schools,
        campaigns=campaigns,
        sponsors=sponsors,
        events={},
        logins=logins,
    )
    cast.events = _load_events(cast, today.year)
    _load_drop_off_points(cast, today)
    for spec in child_specs(today.year):
        _load_child(cast, spec)
    _load_event_signups(cast)
    _load_feedback(cast)
