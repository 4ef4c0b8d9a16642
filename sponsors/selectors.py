"""Reads for the sponsor's own pages: only fields a sponsor may see of a child's wish."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import (
    Case,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.utils import timezone

from sponsors.models import (
    InviteStatus,
    JoinRequest,
    JoinStatus,
    Sponsor,
    SponsorMember,
    TeamInvite,
)
from wishes.audit import HistoryEntry, histories_of
from wishes.claiming.follow_up import days_overdue
from wishes.claiming.handover import Handover, handovers_for
from wishes.models import (
    Attendee,
    Claim,
    ClaimStatus,
    Event,
    EventSignup,
    Fulfilment,
    FulfilmentPhoto,
    LetterStatus,
    ThankYouLetter,
)
from wishes.public.selectors import letter_sharing_consent, photos_shared_with
from wishes.reports.hours import earned_hours
from wishes.services import upcoming_events_for

# What a sponsor sees of a claim and its wish. The child's real name, school, class,
# address, guardian and hardship never leave the database for these pages.
CLAIM_FIELDS = [
    "id",
    "status",
    "promised_on",
    "created_at",
    "cancel_reason",
    "wish__id",
    "wish__code",
    "wish__public_text",
    "wish__category",
    "wish__child__id",
    "wish__child__alias",
    "wish__child__grade",
    # The team member who fulfils it (a unit's claims): their name, nothing else.
    "member__id",
    "member__first_name",
    "member__last_name",
    "member__username",
    # How the wish came true: date and event, never the note, which may name the child.
    "fulfilment__id",
    "fulfilment__claim_id",
    "fulfilment__fulfilled_on",
    "fulfilment__event__id",
    "fulfilment__event__title",
    "fulfilment__event__date",
]


@dataclass
class ClaimWithHistory:
    """A claim and its StatusChange rows, oldest first; once fulfilled, also the fulfilment,
    the photos the guardian shares with the sponsor and the letters pending or delivered.

    Each letter carries `readable`: whether a consent in force passes the child's letters to
    the sponsor, and `text_for_sponsor`: its shared text then, else nothing."""

    claim: Claim
    history: list[HistoryEntry] = field(default_factory=list)
    fulfilment: Fulfilment | None = None
    photos: list[FulfilmentPhoto] = field(default_factory=list)
    letters: list[ThankYouLetter] = field(default_factory=list)
    # Where and by when to bring the gift, while the claim is active.
    handover: Handover | None = None

    @property
    def can_cancel(self) -> bool:
        return self.claim.status == ClaimStatus.ACTIVE

    @property
    def days_overdue(self) -> int:
        """Days an active claim is past the date it is due by (staff's rule), else 0."""
        if self.claim.status != ClaimStatus.ACTIVE:
            return 0
        return days_overdue(self.claim)

    @property
    def delivered_letters(self) -> list[ThankYouLetter]:
        """Approved letters the sponsor may read (words and copy of the scan)."""
        return [
            letter
            for letter in self.letters
            if letter.status == LetterStatus.APPROVED and letter.readable  # type: ignore[attr-defined]
        ]

    @property
    def letter_kept(self) -> bool:
        """The child wrote a letter that the guardian's consent does not (or no longer)
        pass to the sponsor: the sponsor learns only that there is one."""
        return not self.delivered_letters and any(
            not letter.readable  # type: ignore[attr-defined]
            for letter in self.letters
        )

    @property
    def letter_pending(self) -> bool:
        """A letter is waiting for the association's check and none has been delivered."""
        return (
            not self.delivered_letters
            and not self.letter_kept
            and any(letter.status == LetterStatus.PENDING for letter in self.letters)
        )


def claims_of(sponsor: Sponsor, status: str | None = None) -> QuerySet[Claim]:
    """The sponsor's claims, newest first, with the public part of the wish; all statuses
    unless `status` names one."""
    claims = Claim.objects.filter(sponsor=sponsor)
    if status:
        claims = claims.filter(status=status)
    return (
        claims.select_related("wish__child", "fulfilment__event", "member")
        .only(*CLAIM_FIELDS)
        .order_by("-created_at", "-id")
    )


def claim_counts(sponsor: Sponsor) -> dict[str, int]:
    """How many claims the sponsor holds in each status, and in all ("all"); one query."""
    return Claim.objects.filter(sponsor=sponsor).aggregate(
        all=Count("pk"),
        **{status: Count("pk", filter=Q(status=status)) for status in ClaimStatus.values},
    )


def _fulfilment_of(claim: Claim) -> Fulfilment | None:
    # Joined by claims_of; a claim without a fulfilment raises instead of returning None.
    try:
        return claim.fulfilment
    except Fulfilment.DoesNotExist:
        return None


def _shared_photos(
    sponsor: Sponsor, fulfilment_ids: list[int]
) -> dict[int, list[FulfilmentPhoto]]:
    photos = (
        photos_shared_with(sponsor)
        .filter(fulfilment_id__in=fulfilment_ids)
        .only("id", "fulfilment_id", "width", "height")
        .order_by("created_at", "id")
    )
    by_fulfilment: dict[int, list[FulfilmentPhoto]] = defaultdict(list)
    for photo in photos:
        by_fulfilment[photo.fulfilment_id].append(photo)
    return by_fulfilment


def _letters_for(sponsor: Sponsor) -> QuerySet[ThankYouLetter]:
    # A sponsor reads letters of its own fulfilled claims while the child's record is kept,
    # and their words only while the guardian's consent passes letters to the sponsor: the
    # text is decided in SQL, so a letter the sponsor may not read is never even fetched.
    return (
        ThankYouLetter.objects.filter(
            fulfilment__claim__sponsor=sponsor,
            fulfilment__claim__status=ClaimStatus.FULFILLED,
            fulfilment__claim__wish__child__withdrawn_at__isnull=True,
        )
        .annotate(readable=letter_sharing_consent())
        .annotate(
            text_for_sponsor=Case(
                When(readable=True, then=F("shared_text")),
                default=Value(""),
                output_field=TextField(),
            )
        )
    )


def _letters(sponsor: Sponsor, fulfilment_ids: list[int]) -> dict[int, list[ThankYouLetter]]:
    letters = (
        _letters_for(sponsor)
        .filter(
            fulfilment_id__in=fulfilment_ids,
            status__in=[LetterStatus.PENDING, LetterStatus.APPROVED],
        )
        # The shared text (as text_for_sponsor), never the transcription: that may name
        # the child.
        .only("id", "status", "preview", "created_at", "fulfilment_id")
        .order_by("created_at", "id")
    )
    by_fulfilment: dict[int, list[ThankYouLetter]] = defaultdict(list)
    for letter in letters:
        by_fulfilment[letter.fulfilment_id].append(letter)
    return by_fulfilment


def claims_with_history(sponsor: Sponsor, claims: list[Claim]) -> list[ClaimWithHistory]:
    """Claims of the sponsor (one page from `claims_of`) with their history, fulfilment,
    shared photos and letters.

    One query whatever the number of claims, three more once one of them is active (the
    drop-off deadlines and points), two more once one of them has been fulfilled.
    """
    if not claims:
        return []
    by_claim = histories_of(Claim, [claim.pk for claim in claims])
    fulfilments = {claim.pk: _fulfilment_of(claim) for claim in claims}
    fulfilment_ids = [fulfilment.pk for fulfilment in fulfilments.values() if fulfilment]
    photos: dict[int, list[FulfilmentPhoto]] = {}
    letters: dict[int, list[ThankYouLetter]] = {}
    if fulfilment_ids:
        photos = _shared_photos(sponsor, fulfilment_ids)
        letters = _letters(sponsor, fulfilment_ids)
    active = [claim.wish_id for claim in claims if claim.status == ClaimStatus.ACTIVE]
    handovers = handovers_for(active) if active else {}
    rows = []
    for claim in claims:
        fulfilment = fulfilments[claim.pk]
        row = ClaimWithHistory(claim, by_claim[claim.pk], fulfilment)
        row.handover = handovers.get(claim.wish_id)
        if fulfilment is not None:
            row.photos = photos.get(fulfilment.pk, [])
            row.letters = letters.get(fulfilment.pk, [])
        rows.append(row)
    return rows


def approved_letters_of(sponsor: Sponsor) -> QuerySet[ThankYouLetter]:
    """Approved letters of the sponsor's fulfilled claims, newest first: which wish each
    thanks for and its watermarked copy (its shared text is shown with the claim); the copy
    only where `readable`."""
    return (
        _letters_for(sponsor)
        .filter(status=LetterStatus.APPROVED)
        .select_related("fulfilment__claim__wish__child")
        .only(
            "id",
            "preview",
            "reviewed_at",
            "created_at",
            "fulfilment__id",
            "fulfilment__claim__id",
            "fulfilment__claim__wish__id",
            "fulfilment__claim__wish__code",
            "fulfilment__claim__wish__child__id",
            "fulfilment__claim__wish__child__alias",
        )
        .order_by("-created_at", "-id")
    )


@dataclass
class Team:
    """What a unit's team page shows: members, and for administrators the requests
    waiting, the invitations still open and the claims they may hand on."""

    members: list[SponsorMember]
    requests: list[JoinRequest] = field(default_factory=list)
    invites: list[TeamInvite] = field(default_factory=list)
    active_claims: list[Claim] = field(default_factory=list)
    mine: list[Claim] = field(default_factory=list)


# What the team page shows of an active claim: its wish's code, the alias, who fulfils it.
TEAM_CLAIM_FIELDS = [
    "id",
    "promised_on",
    "wish__id",
    "wish__code",
    "wish__child__id",
    "wish__child__alias",
    "member__id",
    "member__first_name",
    "member__last_name",
    "member__username",
]


def _active_claims(sponsor: Sponsor) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(sponsor=sponsor, status=ClaimStatus.ACTIVE)
        .select_related("wish__child", "member")
        .only(*TEAM_CLAIM_FIELDS)
        .order_by("created_at", "id")
    )


def team_of(sponsor: Sponsor, *, member: SponsorMember) -> Team:
    """The unit's team and the active claims `member` fulfils: two queries for a member,
    five for an administrator."""
    members = list(
        SponsorMember.objects.current()
        .filter(sponsor=sponsor)
        .select_related("user")
        .order_by("role", "created_at", "id")
    )
    team = Team(members=members, mine=list(_active_claims(sponsor).filter(member=member.user)))
    if not member.is_administrator:
        return team
    team.requests = list(
        JoinRequest.objects.filter(sponsor=sponsor, status=JoinStatus.PENDING)
        .select_related("user")
        .order_by("created_at", "id")
    )
    team.invites = list(
        TeamInvite.objects.filter(
            sponsor=sponsor, status=InviteStatus.ACTIVE, expires_at__gt=timezone.now()
        ).order_by("-created_at", "-id")
    )
    team.active_claims = list(_active_claims(sponsor))
    return team


# The columns of a unit's list of fulfilled wishes: public fields of the wish and the claim.
FULFILLED_COLUMNS = ["code", "alias", "category", "fulfilled_on", "event", "member"]


def fulfilled_wishes_of(sponsor: Sponsor, year: int | None = None) -> QuerySet[Claim]:
    """The sponsor's fulfilled claims (a year's, by fulfilment date), oldest first, with
    only what the sponsor may read of each wish: its code, the child's alias, category."""
    claims = Claim.objects.filter(sponsor=sponsor, status=ClaimStatus.FULFILLED)
    if year is not None:
        claims = claims.filter(fulfilment__fulfilled_on__year=year)
    return (
        claims.select_related("wish__child", "fulfilment__event", "member")
        .only(
            "id",
            "wish__id",
            "wish__code",
            "wish__category",
            "wish__child__id",
            "wish__child__alias",
            "fulfilment__id",
            "fulfilment__claim_id",
            "fulfilment__fulfilled_on",
            "fulfilment__event__id",
            "fulfilment__event__title",
            "member__id",
            "member__first_name",
            "member__last_name",
            "member__username",
        )
        .order_by("fulfilment__fulfilled_on", "id")
    )


def upcoming_events_with_signup(sponsor: Sponsor) -> list[Event]:
    """The sponsor's upcoming events, each with its own sign-up's status and number of
    attendees (`signup_status`, `signup_headcount`, None without one); one query."""
    own = EventSignup.objects.filter(event_id=OuterRef("pk"), sponsor=sponsor)
    return list(
        upcoming_events_for(sponsor).annotate(
            signup_status=Subquery(own.values("status")[:1]),
            signup_headcount=Subquery(own.values("headcount")[:1]),
        )
    )


def hours_of_member(user: User) -> list[Attendee]:
    """The events where the member earned volunteer hours, newest first; one query."""
    return list(earned_hours().filter(user=user).order_by("-signup__event__date", "-pk"))
