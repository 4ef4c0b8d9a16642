"""The programme's impact, year by year since 2013: the numbers behind /impact/.

Rules (also stated on the page and in the tests):

- A year's "wishes fulfilled" counts the fulfilments recorded with a date in that year; the
  units and individuals taking part are the distinct sponsors behind those fulfilments.
- Years before the system come from `YearTotal` rows entered by staff. A `YearTotal` is shown
  only for a year without any fulfilment recorded in the system; once the system holds a
  fulfilment of a year, its real data wins and the `YearTotal` row is ignored.
- From the first year with system data (at the latest the current year) on, a year without
  fulfilments is a real zero; before it, a year without a `YearTotal` has no figures.
- Categories count the wishes published so far (open, claimed or fulfilled), system data only.
- Median days are calendar days in Shanghai over the claims that are active or fulfilled:
  from the wish's publication to the claim, and from the claim to the fulfilment date.
- Shares count active and fulfilled claims (cancelled ones are left out), by the sponsor's
  region and by channel; claims made on the city platform by other centres are shown apart.
- Ratings are the feedback (评单) sponsors and coordinators gave on fulfilled wishes: their
  average (1–5, to one decimal) and their number; never the comments.

Everything comes from seven queries, however much data there is.
"""

import datetime
import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import ExtractYear, TruncDate
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huamu.cache import depends_on
from sponsors.models import SponsorKind
from wishes.models import (
    LIVE_CLAIM_STATUSES,
    PUBLISHED_STATUSES,
    Claim,
    ClaimChannel,
    ClaimStatus,
    Feedback,
    Fulfilment,
    Wish,
    WishCategory,
    WishStatus,
    YearTotal,
)

# The programme started in 2013 (心手相连·圆梦花木).
FIRST_YEAR = 2013

# Claims that count: a cancelled claim was a commitment that did not hold.
COUNTED_CLAIMS = [*LIVE_CLAIM_STATUSES, ClaimStatus.FULFILLED]

CHANNEL_LABELS = {
    ClaimChannel.ONLINE: _("Claimed online"),
    ClaimChannel.OFFLINE: _("Recorded by staff (offline)"),
    ClaimChannel.CITY_PLATFORM: _("Claimed through the city platform by other centres"),
}


class YearSource:
    SYSTEM = "system"
    EARLIER = "earlier"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class YearFigures:
    year: int
    fulfilled: int
    units: int
    individuals: int
    via_platform: int
    # YearSource: recorded in the system, from earlier records (YearTotal), or no figures.
    source: str

    @property
    def from_earlier_records(self) -> bool:
        return self.source == YearSource.EARLIER

    @property
    def has_figures(self) -> bool:
        return self.source != YearSource.NONE


@dataclass(frozen=True, slots=True)
class CategoryFigures:
    code: str
    label: str | Promise
    published: int
    fulfilled: int


@dataclass(frozen=True, slots=True)
class Share:
    key: str
    label: str | Promise
    count: int
    percent: float


@dataclass(frozen=True, slots=True)
class Ratings:
    """The feedback's average rating (None without any) and how many ratings it is over."""

    count: int
    average: float | None


@dataclass(frozen=True, slots=True)
class Impact:
    years: list[YearFigures]
    total_fulfilled: int
    categories: list[CategoryFigures]
    median_days_to_claim: float | None
    median_days_to_fulfil: float | None
    # How many claims each median was taken over.
    claims_timed: int
    fulfilments_timed: int
    claims_counted: int
    regions: list[Share]
    channels: list[Share]
    # Other centres that claimed on the city platform, with their number of claims.
    platform_centres: list[tuple[str, int]]
    ratings: Ratings

    @property
    def shown_years(self) -> list[YearFigures]:
        """The years from the first one with figures on: a run of empty years is not a chart."""
        for index, year in enumerate(self.years):
            if year.has_figures:
                return self.years[index:]
        return self.years[-1:]

    @property
    def years_without_figures(self) -> tuple[int, int] | None:
        """The first and last of the leading years that have no figures, if any."""
        hidden = self.years[: len(self.years) - len(self.shown_years)]
        return (hidden[0].year, hidden[-1].year) if hidden else None


def _system_years() -> dict[int, Mapping[str, Any]]:
    # Query 1: fulfilments and distinct sponsors per year.
    rows = (
        Fulfilment.objects.annotate(year=ExtractYear("fulfilled_on"))
        .values("year")
        .annotate(
            fulfilled=Count("pk"),
            via_platform=Count("pk", filter=Q(claim__channel=ClaimChannel.CITY_PLATFORM)),
            units=Count(
                "claim__sponsor", filter=Q(claim__sponsor__kind=SponsorKind.UNIT), distinct=True
            ),
            individuals=Count(
                "claim__sponsor",
                filter=Q(claim__sponsor__kind=SponsorKind.INDIVIDUAL),
                distinct=True,
            ),
        )
        .order_by("year")
    )
    return {row["year"]: row for row in rows}


def _years(today: datetime.date) -> list[YearFigures]:
    system = _system_years()
    # Query 2: staff's totals of the years before the system.
    earlier = {total.year: total for total in YearTotal.objects.all()}
    first_system_year = min([*system, today.year])
    last_year = max([today.year, *system, *earlier])
    years = []
    for year in range(FIRST_YEAR, last_year + 1):
        if year in system:
            row = system[year]
            years.append(
                YearFigures(
                    year=year,
                    fulfilled=row["fulfilled"],
                    units=row["units"],
                    individuals=row["individuals"],
                    via_platform=row["via_platform"],
                    source=YearSource.SYSTEM,
                )
            )
        elif year in earlier:
            total = earlier[year]
            years.append(
                YearFigures(
                    year=year,
                    fulfilled=total.wishes_fulfilled,
                    units=total.units,
                    individuals=total.individuals,
                    via_platform=0,
                    source=YearSource.EARLIER,
                )
            )
        else:
            source = YearSource.SYSTEM if year >= first_system_year else YearSource.NONE
            years.append(YearFigures(year, 0, 0, 0, 0, source))
    return years


def _categories() -> list[CategoryFigures]:
    # Query 3: published wishes and fulfilled wishes per category.
    rows = (
        Wish.objects.filter(status__in=PUBLISHED_STATUSES)
        .values("category")
        .annotate(
            # Counted over the (never null) status, not the id: the status and category
            # index answers it without reading the wishes' rows.
            published=Count("status"),
            fulfilled=Count("status", filter=Q(status=WishStatus.FULFILLED)),
        )
        .order_by()
    )
    order = {value: index for index, value in enumerate(WishCategory.values)}
    figures = [
        CategoryFigures(
            code=row["category"],
            label=WishCategory(row["category"]).label,
            published=row["published"],
            fulfilled=row["fulfilled"],
        )
        for row in rows
    ]
    return sorted(figures, key=lambda c: (-c.published, order[c.code]))


def _median(days: Counter) -> float | None:
    """The median of a histogram of day counts (days → how many claims took that long)."""
    total = sum(days.values())
    if not total:
        return None
    # The middle one or two positions of the sorted values, counted from 0.
    wanted = sorted({(total - 1) // 2, total // 2})
    found: list[int] = []
    seen = 0
    for value in sorted(days):
        seen += days[value]
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
    return float(statistics.mean(found))


def _day_histogram(rows: QuerySet) -> Counter:
    """Fold (duration, count) rows into days → count; a date recorded out of order (a late
    offline record) counts as the same day."""
    days: Counter = Counter()
    for duration, count in rows:
        if duration is not None:
            days[max(0, duration.days)] += count
    return days


def _timings() -> tuple[Counter, Counter]:
    # Queries 4 and 5: how many counted claims took each number of days from publication
    # to claim, and from claim to fulfilment, grouped in the database: the rows are the
    # distinct day counts (a few hundred), never the claims (tens of thousands). Days are
    # Shanghai's calendar days, as on the wishes' pages.
    shanghai = timezone.get_default_timezone()
    claimed_on = TruncDate("created_at", tzinfo=shanghai)
    claims = Claim.objects.filter(status__in=COUNTED_CLAIMS, wish__published_at__isnull=False)
    to_claim = (
        claims.annotate(
            waited=ExpressionWrapper(
                claimed_on - TruncDate("wish__published_at", tzinfo=shanghai),
                output_field=DurationField(),
            )
        )
        .values_list("waited")
        .annotate(count=Count("pk"))
        .order_by()
    )
    to_fulfil = (
        claims.filter(fulfilment__fulfilled_on__isnull=False)
        .annotate(
            took=ExpressionWrapper(
                F("fulfilment__fulfilled_on") - claimed_on, output_field=DurationField()
            )
        )
        .values_list("took")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return _day_histogram(to_claim), _day_histogram(to_fulfil)


def _shares(counter: Counter, labels: dict, total: int) -> list[Share]:
    return [
        Share(
            key=key,
            label=labels.get(key, key),
            count=count,
            percent=round(100 * count / total, 1) if total else 0.0,
        )
        for key, count in counter.items()
    ]


def _claim_shares() -> tuple[int, list[Share], list[Share], list[tuple[str, int]]]:
    # Query 6: counted claims grouped by channel, the sponsor's region and, for the city
    # platform, the claiming centre. A claimant name is shown only for units: the name of
    # a caring individual is personal data.
    rows = (
        Claim.objects.filter(status__in=COUNTED_CLAIMS)
        .values(
            "channel",
            "claimant_name",
            region=F("sponsor__region__name"),
            sponsor_kind=F("sponsor__kind"),
            # An individual's name is replaced in SQL, so it never leaves the database.
            unit_name=Case(
                When(sponsor__kind=SponsorKind.UNIT, then=F("sponsor__name")),
                default=Value(""),
                output_field=CharField(),
            ),
        )
        .annotate(count=Count("pk"))
        .order_by()
    )
    regions: Counter = Counter()
    channels: Counter = Counter(dict.fromkeys(ClaimChannel.values, 0))
    centres: Counter = Counter()
    for row in rows:
        regions[row["region"] or ""] += row["count"]
        channels[row["channel"]] += row["count"]
        is_unit = row["sponsor_kind"] == SponsorKind.UNIT
        if row["channel"] == ClaimChannel.CITY_PLATFORM and is_unit:
            centres[row["claimant_name"] or row["unit_name"]] += row["count"]
    total = sum(channels.values())
    region_shares = sorted(
        _shares(regions, {"": _("Region not given")}, total),
        # Largest first; claims of sponsors without a region last.
        key=lambda s: (s.key == "", -s.count, s.key),
    )
    channel_shares = _shares(channels, CHANNEL_LABELS, total)
    platform = sorted(centres.items(), key=lambda item: (-item[1], item[0]))
    return total, region_shares, channel_shares, platform


def ratings_of(feedback: QuerySet[Feedback]) -> Ratings:
    """The average rating and the count of some feedback, in one query."""
    row = feedback.aggregate(count=Count("pk"), average=Avg("rating"))
    average = row["average"]
    return Ratings(
        count=row["count"], average=None if average is None else round(float(average), 1)
    )


def impact_figures(today: datetime.date | None = None) -> Impact:
    """Every number of the impact page, in seven queries."""
    depends_on("impact")
    years = _years(today or timezone.localdate())
    to_claim, to_fulfil = _timings()
    total, regions, channels, centres = _claim_shares()
    return Impact(
        years=years,
        total_fulfilled=sum(year.fulfilled for year in years),
        categories=_categories(),
        median_days_to_claim=_median(to_claim),
        median_days_to_fulfil=_median(to_fulfil),
        claims_timed=sum(to_claim.values()),
        fulfilments_timed=sum(to_fulfil.values()),
        claims_counted=total,
        regions=regions,
        channels=channels,
        platform_centres=centres,
        # Query 7: the feedback's ratings, never its comments.
        ratings=ratings_of(Feedback.objects.all()),
    )
