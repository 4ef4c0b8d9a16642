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

Everything comes from three queries, however much data there is: the running totals kept on
every write (wishes/reports/tallies.py, which defines each figure), staff's totals of earlier
years and the names of the regions.
"""

import datetime
import statistics
from collections import Counter
from dataclasses import dataclass

from django.db.models import Avg, Count, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huamu.cache import depends_on
from sponsors.models import SponsorKind
from wishes.models import (
    PUBLISHED_STATUSES,
    ClaimChannel,
    Feedback,
    Region,
    WishCategory,
    WishStatus,
    YearTotal,
)
from wishes.reports import tallies
from wishes.reports.tallies import Totals

# The programme started in 2013 (心手相连·圆梦花木).
FIRST_YEAR = 2013

# The running totals the page is made of.
IMPACT_TOTALS = (
    tallies.WISH,
    tallies.CHANNEL,
    tallies.TO_CLAIM,
    tallies.TO_FULFIL,
    tallies.YEAR,
    tallies.YEAR_PLATFORM,
    tallies.YEAR_SPONSORS,
    tallies.REGION,
    tallies.CENTRE,
    tallies.RATING,
)

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


def _system_years(totals: Totals) -> dict[int, dict[str, int]]:
    """Fulfilments and distinct sponsors per year, for the years with fulfilments."""
    years = {
        int(year): {"fulfilled": n, "via_platform": 0, "units": 0, "individuals": 0}
        for year, n in tallies.of(totals, tallies.YEAR).items()
    }
    for year, n in tallies.of(totals, tallies.YEAR_PLATFORM).items():
        years[int(year)]["via_platform"] = n
    kinds: dict[str, str] = {SponsorKind.UNIT: "units", SponsorKind.INDIVIDUAL: "individuals"}
    for sponsors_year, kind, n in tallies.year_sponsors_of(totals):
        if sponsors_year in years and kind in kinds:
            years[sponsors_year][kinds[kind]] = n
    return years


def _years(today: datetime.date, totals: Totals) -> list[YearFigures]:
    system = _system_years(totals)
    # Staff's totals of the years before the system.
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


def _categories(totals: Totals) -> list[CategoryFigures]:
    """Published wishes and fulfilled wishes per category."""
    published: Counter = Counter()
    fulfilled: Counter = Counter()
    for status, category, _campaign, n in tallies.wishes_of(totals):
        if status in PUBLISHED_STATUSES:
            published[category] += n
            if status == WishStatus.FULFILLED:
                fulfilled[category] += n
    order = {value: index for index, value in enumerate(WishCategory.values)}
    figures = [
        CategoryFigures(
            code=category,
            label=WishCategory(category).label,
            published=count,
            fulfilled=fulfilled[category],
        )
        for category, count in published.items()
        if count
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


def _histogram(totals: Totals, name: str) -> Counter:
    """Days → how many counted claims took that long (publication to claim, or claim to
    fulfilment, in Shanghai's calendar days)."""
    return Counter({int(days): n for days, n in tallies.of(totals, name).items()})


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


def _claim_shares(
    totals: Totals,
) -> tuple[int, list[Share], list[Share], list[tuple[str, int]]]:
    """Counted claims by the sponsor's region, by channel, and the city platform's claims of
    units by claiming centre (a caring individual's name is personal data: never shown)."""
    by_region = tallies.of(totals, tallies.REGION)
    # The regions' names, read now: a region renamed is shown by its new name.
    names = dict(
        Region.objects.filter(pk__in=[int(key) for key in by_region if key]).values_list(
            "pk", "name"
        )
    )
    regions: Counter = Counter()
    for key, n in by_region.items():
        regions[names.get(int(key), "") if key else ""] += n
    channels: Counter = Counter(dict.fromkeys(ClaimChannel.values, 0))
    channels.update(tallies.of(totals, tallies.CHANNEL))
    centres = Counter(tallies.of(totals, tallies.CENTRE))
    total = sum(channels.values())
    region_shares = sorted(
        _shares(regions, {"": _("Region not given")}, total),
        # Largest first; claims of sponsors without a region last.
        key=lambda s: (s.key == "", -s.count, s.key),
    )
    channel_shares = _shares(channels, CHANNEL_LABELS, total)
    platform = sorted(centres.items(), key=lambda item: (-item[1], item[0]))
    return total, region_shares, channel_shares, platform


def _ratings(totals: Totals) -> Ratings:
    by_rating = {int(rating): n for rating, n in tallies.of(totals, tallies.RATING).items()}
    count = sum(by_rating.values())
    if not count:
        return Ratings(count=0, average=None)
    average = sum(rating * n for rating, n in by_rating.items()) / count
    return Ratings(count=count, average=round(average, 1))


def ratings_of(feedback: QuerySet[Feedback]) -> Ratings:
    """The average rating and the count of some feedback, in one query."""
    row = feedback.aggregate(count=Count("pk"), average=Avg("rating"))
    average = row["average"]
    return Ratings(
        count=row["count"], average=None if average is None else round(float(average), 1)
    )


def impact_figures(today: datetime.date | None = None) -> Impact:
    """Every number of the impact page, in three queries."""
    depends_on("impact")
    totals = tallies.current(IMPACT_TOTALS)
    years = _years(today or timezone.localdate(), totals)
    to_claim = _histogram(totals, tallies.TO_CLAIM)
    to_fulfil = _histogram(totals, tallies.TO_FULFIL)
    total, regions, channels, centres = _claim_shares(totals)
    return Impact(
        years=years,
        total_fulfilled=sum(year.fulfilled for year in years),
        categories=_categories(totals),
        median_days_to_claim=_median(to_claim),
        median_days_to_fulfil=_median(to_fulfil),
        claims_timed=sum(to_claim.values()),
        fulfilments_timed=sum(to_fulfil.values()),
        claims_counted=total,
        regions=regions,
        channels=channels,
        platform_centres=centres,
        # The feedback's ratings, never its comments.
        ratings=_ratings(totals),
    )
