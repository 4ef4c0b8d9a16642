"""Public reads: what anyone on the internet may see of wishes, and nothing more.

Privacy by construction: public pages get `PublicWish` objects, built from a `.values()`
query that selects only the allowlist. A child's name, class, address, guardian, hardship,
birth year, the child's own words and (unless staff chose to show it) the school never leave
the database; even the exact value and grade are turned into bands in SQL.
"""

import datetime
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import overload

from django.db import models
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huamu.cache import depends_on
from sponsors.models import Sponsor, SponsorKind
from wishes.models import (
    PUBLISHED_STATUSES,
    Campaign,
    Consent,
    FulfilmentPhoto,
    GradeBand,
    PublicLocation,
    Region,
    School,
    Wish,
    WishCategory,
    WishStatus,
)
from wishes.privacy.redaction import mask_contact_details
from wishes.reports import tallies
from wishes.reports.tallies import Totals


class ValueBand(models.TextChoices):
    """Value bands shown instead of a wish's exact estimated value (yuan)."""

    UP_TO_100 = "0-100", _("Up to ¥100")
    UP_TO_300 = "100-300", _("¥100 to ¥300")
    UP_TO_500 = "300-500", _("¥300 to ¥500")
    ABOVE_500 = "500+", _("Over ¥500")


# Each band holds values above its first bound and up to its second; None is open-ended.
VALUE_BAND_BOUNDS: dict[str, tuple[Decimal | None, Decimal | None]] = {
    ValueBand.UP_TO_100: (None, Decimal(100)),
    ValueBand.UP_TO_300: (Decimal(100), Decimal(300)),
    ValueBand.UP_TO_500: (Decimal(300), Decimal(500)),
    ValueBand.ABOVE_500: (Decimal(500), None),
}


def value_band_condition(band: str, field: str = "estimated_value") -> Q:
    """The filter for the values of one ValueBand."""
    low, high = VALUE_BAND_BOUNDS[band]
    condition = Q()
    if low is not None:
        condition &= Q(**{f"{field}__gt": low})
    if high is not None:
        condition &= Q(**{f"{field}__lte": high})
    return condition


def grade_band_condition(band: str, field: str = "child__grade") -> Q:
    """The filter for the grades of one GradeBand."""
    low, high = GradeBand.grades(band)
    return Q(**{f"{field}__gte": low, f"{field}__lte": high})


# Shown instead of the raw status: the public reads a thank-you, not a workflow state.
PUBLIC_STATUS_LABELS: dict[str, Promise] = {
    WishStatus.OPEN: _("Waiting for a sponsor"),
    WishStatus.CLAIMED: _("Claimed — thank you!"),
    WishStatus.FULFILLED: _("Fulfilled"),
}


@dataclass(frozen=True, slots=True)
class PublicWish:
    """Everything the public may know about a wish: the allowlist, nothing else."""

    id: int
    code: str
    alias: str
    grade_band: str | Promise
    # The home region, or the school if staff chose so, or "" when nothing may be shown.
    location: str
    category: str | Promise
    public_text: str
    value_band: str | Promise
    status: str
    days_waiting: int
    # Public (the day it was published is what "days waiting" counts from); the feed's
    # page cursor is made of it.
    published_at: datetime.datetime | None = None
    # The category's code (its label is `category`): which illustration the card shows.
    category_code: str = WishCategory.OTHER

    @property
    def illustration(self) -> str:
        """The static path of the category's illustration (drawn here; never a photo)."""
        return f"img/categories/{self.category_code}.svg"

    def get_absolute_url(self) -> str:
        return reverse("wishes:detail", args=[self.id])

    @property
    def is_open(self) -> bool:
        return self.status == WishStatus.OPEN

    @property
    def is_claimed(self) -> bool:
        return self.status == WishStatus.CLAIMED

    @property
    def is_fulfilled(self) -> bool:
        return self.status == WishStatus.FULFILLED

    @property
    def status_label(self) -> str | Promise:
        return PUBLIC_STATUS_LABELS.get(self.status, "")


def _school_consented() -> Exists:
    return Exists(
        Consent.objects.in_force().filter(
            child_id=OuterRef("child_id"), keep_record=True, publish_school=True
        )
    )


def _location() -> Case:
    # Decided in SQL, so a school name staff did not choose to show is never even fetched.
    # The school only where the guardian agreed to it; otherwise the region at most.
    # The names are subqueries, not joins: they are read for the rows shown only, after
    # the sorting and slicing, where a join was made for every matching wish (a search
    # that finds thousands of wishes joined the school and region thousands of times).
    school_name = School.objects.filter(pk=OuterRef("child__school_id")).order_by().values("name")
    region_name = (
        Region.objects.filter(pk=OuterRef("child__home_region_id")).order_by().values("name")
    )
    return Case(
        When(
            _school_consented(),
            child__public_location=PublicLocation.SCHOOL,
            then=Subquery(school_name),
        ),
        When(
            child__public_location__in=[PublicLocation.REGION, PublicLocation.SCHOOL],
            then=Subquery(region_name),
        ),
        default=Value(""),
        output_field=CharField(),
    )


def _grade_band() -> Case:
    return Case(
        *[When(grade_band_condition(band), then=Value(band.value)) for band in GradeBand],
        default=Value(""),
        output_field=CharField(),
    )


def _value_band() -> Case:
    return Case(
        *[When(value_band_condition(band), then=Value(band.value)) for band in ValueBand],
        default=Value(""),
        output_field=CharField(),
    )


# The only columns a public query reads (plus the three bands computed above).
PUBLIC_COLUMNS = ("id", "code", "category", "public_text", "status", "published_at")


def _public_rows(wishes: QuerySet[Wish]) -> QuerySet:
    return wishes.values(
        *PUBLIC_COLUMNS,
        child_alias=F("child__alias"),
        location=_location(),
        grade_band=_grade_band(),
        value_band=_value_band(),
    )


def _days_since(moment: datetime.datetime | None) -> int:
    if moment is None:
        return 0
    # Whole days on the Shanghai calendar, whatever language or time zone is active.
    shanghai = timezone.get_default_timezone()
    today = timezone.now().astimezone(shanghai).date()
    return max(0, (today - moment.astimezone(shanghai).date()).days)


def _to_public(row: dict) -> PublicWish:
    return PublicWish(
        id=row["id"],
        code=row["code"],
        alias=row["child_alias"],
        grade_band=GradeBand(row["grade_band"]).label if row["grade_band"] else "",
        location=row["location"] or "",
        category=WishCategory(row["category"]).label,
        category_code=row["category"],
        public_text=mask_contact_details(row["public_text"]),
        value_band=ValueBand(row["value_band"]).label if row["value_band"] else "",
        status=row["status"],
        days_waiting=_days_since(row["published_at"]),
        published_at=row["published_at"],
    )


class PublicWishList:
    """A lazy list of PublicWish for the paginator: counted and sliced in the database."""

    def __init__(self, wishes: QuerySet[Wish]) -> None:
        self._wishes = wishes
        self._rows = _public_rows(wishes)

    def count(self, *, up_to: int | None = None) -> int:
        """How many wishes, or with `up_to`, how many but at most `up_to`: counting stops
        there instead of reading every matching row."""
        # Counted over the wishes' own filters, without the joins that only the shown
        # columns need (school, region): for a search that finds thousands of wishes those
        # joins were a third of the count's time.
        wishes = self._wishes.order_by().values("pk")
        if up_to is None:
            return wishes.count()
        return wishes[:up_to].count()

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> PublicWish: ...

    @overload
    def __getitem__(self, index: slice) -> list[PublicWish]: ...

    def __getitem__(self, index: int | slice) -> PublicWish | list[PublicWish]:
        if isinstance(index, slice):
            return [_to_public(row) for row in self._rows[index]]
        return _to_public(self._rows[index])

    def __iter__(self) -> Iterator[PublicWish]:
        return (_to_public(row) for row in self._rows)


def _consent_in_force() -> Exists:
    return Exists(
        Consent.objects.in_force().filter(
            child_id=OuterRef("child_id"), keep_record=True, publish_wish=True
        )
    )


LONGEST_WAITING_FIRST = ("published_at", "pk")


def _visible(wishes: QuerySet[Wish], statuses: Sequence[str]) -> QuerySet[Wish]:
    return wishes.filter(
        _consent_in_force(), status__in=statuses, child__withdrawn_at__isnull=True
    )


def _only_open_and_public(wishes: QuerySet[Wish]) -> QuerySet[Wish]:
    return _visible(wishes, [WishStatus.OPEN])


def published_wishes() -> QuerySet[Wish]:
    """Wishes the public may see: published, the child's record kept, consent still in force."""
    return _visible(Wish.objects.all(), PUBLISHED_STATUSES)


def open_wishes() -> QuerySet[Wish]:
    """Published wishes waiting to be claimed, longest-waiting first."""
    return _only_open_and_public(Wish.objects.all()).order_by(*LONGEST_WAITING_FIRST)


def open_public_wishes(wishes: QuerySet[Wish] | None = None) -> PublicWishList:
    """Open wishes as PublicWish, e.g. `open_public_wishes(WishFilter(request.GET).qs)`.

    Whatever queryset is given, only open, publicly visible wishes come out; unless it is
    sorted already, longest-waiting first.
    """
    depends_on("wishes")
    wishes = _only_open_and_public(Wish.objects.all() if wishes is None else wishes)
    if not wishes.query.order_by:
        wishes = wishes.order_by(*LONGEST_WAITING_FIRST)
    return PublicWishList(wishes)


def public_wish(pk: int) -> PublicWish | None:
    """One published wish (open, claimed or fulfilled) as PublicWish; None for any other."""
    depends_on(f"wish:{pk}")
    row = _public_rows(published_wishes().filter(pk=pk)).first()
    return None if row is None else _to_public(row)


def similar_open_wishes(wish_pk: int, limit: int = 3) -> list[PublicWish]:
    """Open wishes of the same category or grade band as a wish, best matches first.

    Same category and band first, then same category, then same band; longest-waiting first
    within each. One small query per kind of match, stopping once `limit` are found: each
    walks the open wishes in waiting order (the status, category and publication indexes)
    and stops at `limit`, instead of scoring and sorting every open wish of the category
    or band.
    """
    depends_on(f"wish:{wish_pk}")
    source = Wish.objects.filter(pk=wish_pk).values("category", "child__grade").first()
    if source is None:
        return []
    band = GradeBand.of(source["child__grade"])
    # Any wish of the category or band entering or leaving the open ones may change the list.
    depends_on(f"cat:{source['category']}", f"band:{band}")
    same_category = Q(category=source["category"])
    same_band = grade_band_condition(band)
    candidates = open_wishes().exclude(pk=wish_pk)
    found: list[PublicWish] = []
    for match in (
        same_category & same_band,
        same_category & ~same_band,
        ~same_category & same_band,
    ):
        if len(found) >= limit:
            break
        found += PublicWishList(candidates.filter(match))[: limit - len(found)]
    return found


@dataclass(frozen=True, slots=True)
class ImpactNumbers:
    fulfilled: int
    waiting: int
    units: int
    individuals: int


# The running totals the front page's numbers are made of.
FRONT_PAGE_TOTALS = (tallies.WISH, tallies.OPEN, tallies.SPONSORS)


def impact_numbers() -> ImpactNumbers:
    """The programme's numbers to date, in one query of the running totals.

    A sponsor counts as having taken part once it holds a live or fulfilled claim;
    sponsors whose claims were all cancelled do not count.
    """
    return front_page_numbers(None)[0]


def _waiting(totals: Totals, today: datetime.date, campaign: Campaign | None = None) -> int:
    """Open wishes waiting today, in all or in `campaign`: the waiting-wishes list's rule (an
    open wish of a child still in the programme, whose consent to publish it lasts until
    today or later), so the two numbers always agree."""
    return sum(
        n
        for campaign_id, last_day, n in tallies.open_wishes_of(totals)
        if last_day >= today and (campaign is None or campaign_id == campaign.pk)
    )


def _wishes_by_status(totals: Totals, campaign: Campaign | None = None) -> Counter:
    counts: Counter = Counter()
    for status, _category, campaign_id, n in tallies.wishes_of(totals):
        if campaign is None or campaign_id == campaign.pk:
            counts[status] += n
    return counts


def front_page_numbers(
    campaign: Campaign | None,
) -> tuple[ImpactNumbers, "CampaignProgress | None"]:
    """`impact_numbers()` and `campaign_progress(campaign)` together, from one read of the
    running totals (wishes/reports/tallies.py)."""
    depends_on("impact")
    totals = tallies.current(FRONT_PAGE_TOTALS)
    today = timezone.localdate()
    impact = ImpactNumbers(
        fulfilled=_wishes_by_status(totals)[WishStatus.FULFILLED],
        waiting=_waiting(totals, today),
        units=totals[tallies.SPONSORS, SponsorKind.UNIT],
        individuals=totals[tallies.SPONSORS, SponsorKind.INDIVIDUAL],
    )
    progress = None if campaign is None else _campaign_progress(campaign, totals, today)
    return impact, progress


@dataclass(frozen=True)
class CampaignProgress:
    """How far a campaign has come: its published wishes waiting, claimed and fulfilled."""

    waiting: int
    claimed: int
    fulfilled: int

    @property
    def total(self) -> int:
        return self.waiting + self.claimed + self.fulfilled

    @property
    def claimed_percent(self) -> int:
        return round(100 * self.claimed / self.total) if self.total else 0

    @property
    def fulfilled_percent(self) -> int:
        return round(100 * self.fulfilled / self.total) if self.total else 0


def campaign_progress(campaign: Campaign) -> CampaignProgress:
    """The campaign's progress bar, from one read of the running totals."""
    depends_on("impact")
    totals = tallies.current(FRONT_PAGE_TOTALS)
    return _campaign_progress(campaign, totals, timezone.localdate())


def _campaign_progress(
    campaign: Campaign, totals: Totals, today: datetime.date
) -> CampaignProgress:
    counts = _wishes_by_status(totals, campaign)
    return CampaignProgress(
        waiting=_waiting(totals, today, campaign),
        claimed=counts[WishStatus.CLAIMED],
        fulfilled=counts[WishStatus.FULFILLED],
    )


def current_campaign() -> Campaign | None:
    """The campaign running today, else the one that starts latest; one query."""
    today = timezone.localdate()
    return (
        Campaign.objects.alias(
            running=Case(
                When(starts_on__lte=today, ends_on__gte=today, then=Value(1)),
                default=Value(0),
            )
        )
        .order_by("-running", "-starts_on")
        .first()
    )


def _photo_consent(scope: str) -> Exists:
    # For photos and letters alike: both hang from a fulfilment.
    return Exists(
        Consent.objects.in_force().filter(
            child_id=OuterRef("fulfilment__claim__wish__child_id"),
            keep_record=True,
            **{scope: True},
        )
    )


def public_photos() -> QuerySet[FulfilmentPhoto]:
    """Photos anyone may see: cleared by staff, consent to publish photos in force, at a
    public event, of a child whose record is kept."""
    return FulfilmentPhoto.objects.current().filter(
        _photo_consent("publish_photos"),
        is_public=True,
        fulfilment__event__is_public=True,
        fulfilment__claim__wish__child__withdrawn_at__isnull=True,
    )


def letter_sharing_consent() -> Exists:
    """For a query of thank-you letters: whether a consent in force passes the letter's
    child's letters to the sponsor (without it the sponsor sees neither words nor scan)."""
    return _photo_consent("share_letter_with_sponsor")


def photos_shared_with(sponsor: Sponsor) -> QuerySet[FulfilmentPhoto]:
    """Photos of the sponsor's own fulfilled claims that the guardian agreed to share."""
    return FulfilmentPhoto.objects.current().filter(
        _photo_consent("share_photos_with_sponsor"),
        fulfilment__claim__sponsor=sponsor,
        fulfilment__claim__wish__child__withdrawn_at__isnull=True,
    )
